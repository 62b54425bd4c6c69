"""The control registry: one line per control, imported only when used."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logbaseline.controls.base import Control

REGISTRY: dict[str, str] = {
    "logs_log_group_retention_bounded": "logbaseline.controls.logs_log_group_retention_bounded",
    "vpc_flow_logs_enabled": "logbaseline.controls.vpc_flow_logs_enabled",
    "cloudtrail_multi_region_logging": "logbaseline.controls.cloudtrail_multi_region_logging",
    "cloudtrail_log_file_validation_enabled": "logbaseline.controls.cloudtrail_log_file_validation_enabled",
    "cloudtrail_kms_encryption_enabled": "logbaseline.controls.cloudtrail_kms_encryption_enabled",
    "cloudtrail_cloudwatch_logs_enabled": "logbaseline.controls.cloudtrail_cloudwatch_logs_enabled",
    "eks_control_plane_audit_logging_enabled": "logbaseline.controls.eks_control_plane_audit_logging_enabled",
    "config_recorder_active": "logbaseline.controls.config_recorder_active",
    "guardduty_enabled": "logbaseline.controls.guardduty_enabled",
    "logs_log_group_kms_encryption_enabled": "logbaseline.controls.logs_log_group_kms_encryption_enabled",
    "vpc_dns_query_logging_enabled": "logbaseline.controls.vpc_dns_query_logging_enabled",
    "elb_access_logs_enabled": "logbaseline.controls.elb_access_logs_enabled",
    "wafv2_web_acl_logging_enabled": "logbaseline.controls.wafv2_web_acl_logging_enabled",
    "cloudtrail_bucket_not_public": "logbaseline.controls.cloudtrail_bucket_not_public",
    "cloudtrail_bucket_access_logging_enabled": "logbaseline.controls.cloudtrail_bucket_access_logging_enabled",
    "s3_log_bucket_lifecycle_bounded": "logbaseline.controls.s3_log_bucket_lifecycle_bounded",
    "s3_bucket_server_access_logging_enabled": "logbaseline.controls.s3_bucket_server_access_logging_enabled",
    "cloudtrail_log_integrity_verified": "logbaseline.controls.cloudtrail_log_integrity_verified",
    "cloudtrail_lake_retention_bounded": "logbaseline.controls.cloudtrail_lake_retention_bounded",
    "apigateway_execution_logging_enabled": "logbaseline.controls.apigateway_execution_logging_enabled",
    "apigateway_access_logging_enabled": "logbaseline.controls.apigateway_access_logging_enabled",
    "cloudfront_distribution_logging_enabled": "logbaseline.controls.cloudfront_distribution_logging_enabled",
    "rds_log_exports_enabled": "logbaseline.controls.rds_log_exports_enabled",
    "route53_query_logging_enabled": "logbaseline.controls.route53_query_logging_enabled",
    "stepfunctions_logging_enabled": "logbaseline.controls.stepfunctions_logging_enabled",
    "opensearch_logs_enabled": "logbaseline.controls.opensearch_logs_enabled",
    "networkfirewall_logging_enabled": "logbaseline.controls.networkfirewall_logging_enabled",
    "redshift_audit_logging_enabled": "logbaseline.controls.redshift_audit_logging_enabled",
    "s3_log_bucket_not_public": "logbaseline.controls.s3_log_bucket_not_public",
    "logs_resource_policy_restricted": "logbaseline.controls.logs_resource_policy_restricted",
    "cloudtrail_no_duplicate_management_events": "logbaseline.controls.cloudtrail_no_duplicate_management_events",
    "logs_centralized": "logbaseline.controls.logs_centralized",
    "cloudtrail_security_alarms": "logbaseline.controls.cloudtrail_security_alarms",
    "securityhub_enabled": "logbaseline.controls.securityhub_enabled",
    "cloudtrail_logs_queryable": "logbaseline.controls.cloudtrail_logs_queryable",
    "cloudtrail_s3_data_events_recorded": "logbaseline.controls.cloudtrail_s3_data_events_recorded",
    "cloudtrail_security_trail_enabled": "logbaseline.controls.cloudtrail_security_trail_enabled",
    "rds_aurora_mysql_audit_logging_enabled": "logbaseline.controls.rds_aurora_mysql_audit_logging_enabled",
    "cloudtrail_lake_kms_encryption_enabled": "logbaseline.controls.cloudtrail_lake_kms_encryption_enabled",
    "glue_job_logging_enabled": "logbaseline.controls.glue_job_logging_enabled",
    "fis_experiment_logging_enabled": "logbaseline.controls.fis_experiment_logging_enabled",
    "securitylake_sources_enabled": "logbaseline.controls.securitylake_sources_enabled",
    "cloudtrail_bucket_object_lock": "logbaseline.controls.cloudtrail_bucket_object_lock",
    "appsync_field_logging_enabled": "logbaseline.controls.appsync_field_logging_enabled",
    "mq_broker_logging_enabled": "logbaseline.controls.mq_broker_logging_enabled",
    "msk_broker_logging_enabled": "logbaseline.controls.msk_broker_logging_enabled",
    "transfer_connector_logging_enabled": "logbaseline.controls.transfer_connector_logging_enabled",
    "transfer_server_logging_enabled": "logbaseline.controls.transfer_server_logging_enabled",
    "redshift_serverless_logs_exported": "logbaseline.controls.redshift_serverless_logs_exported",
    "msk_connect_connector_logging_enabled": "logbaseline.controls.msk_connect_connector_logging_enabled",
    # Logging controls of Security Hub and AWS Config that the parity audit found missing
    "ec2_vpn_connection_logging_enabled": "logbaseline.controls.ec2_vpn_connection_logging_enabled",
    "ssm_automation_logging_enabled": "logbaseline.controls.ssm_automation_logging_enabled",
    "datasync_task_logging_enabled": "logbaseline.controls.datasync_task_logging_enabled",
    "connect_instance_logging_enabled": "logbaseline.controls.connect_instance_logging_enabled",
    "fsx_windows_audit_log_configured": "logbaseline.controls.fsx_windows_audit_log_configured",
    "codebuild_project_logging_enabled": "logbaseline.controls.codebuild_project_logging_enabled",
    "ecs_task_definition_log_configuration": "logbaseline.controls.ecs_task_definition_log_configuration",
    "elastic_beanstalk_logs_to_cloudwatch": "logbaseline.controls.elastic_beanstalk_logs_to_cloudwatch",
    "dms_replication_task_logging_enabled": "logbaseline.controls.dms_replication_task_logging_enabled",
    "ec2_client_vpn_connection_logging_enabled": "logbaseline.controls.ec2_client_vpn_connection_logging_enabled",
    "codebuild_s3_logs_encrypted": "logbaseline.controls.codebuild_s3_logs_encrypted",
    # Logs the practice names beyond the anchors
    "ec2_instance_logs_to_cloudwatch": "logbaseline.controls.ec2_instance_logs_to_cloudwatch",
    # Other services' logs a team is asked about
    "globalaccelerator_flow_logs_enabled": "logbaseline.controls.globalaccelerator_flow_logs_enabled",
}


class UnknownControl(KeyError):
    pass


@cache
def load(control_id: str) -> Control:
    try:
        module = REGISTRY[control_id]
    except KeyError:
        raise UnknownControl(f"unknown control {control_id!r}; known: {', '.join(REGISTRY)}") from None
    return importlib.import_module(module).CONTROL


def all_controls() -> list[Control]:
    return [load(control_id) for control_id in REGISTRY]
