"""The anchors a security team compares logbaseline with: every logging control of Security Hub (the FSBP and
CIS AWS Foundations v3.0 standards, and the logging controls of its other standards) and every logging-related
AWS Config managed rule, each with the logbaseline control that holds it or the reason none does yet.

Sources: the Security Hub controls reference, https://docs.aws.amazon.com/securityhub/latest/userguide/
securityhub-controls-reference.html (each control's page names its AWS Config rule; category
"Identify > Logging"), the FSBP standard page (fsbp-standard.html), the CIS v3.0 page
(cis-aws-foundations-benchmark.html, section 3 "Logging"), and the list of AWS Config managed rules,
https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html. A test holds this
table to the registry and to each control's "Security Hub X" requirements.
"""

from __future__ import annotations

from dataclasses import dataclass

from logbaseline.controls import _cis_monitoring as cis_monitoring

NOT_YET = "not yet"
NOT_COVERED = "not covered: "


@dataclass(frozen=True)
class Anchor:
    security_hub: str  # the Security Hub control id; "" when only an AWS Config rule checks it
    config_rules: tuple[str, ...]  # the AWS Config managed rules that check it (Security Hub's first)
    checks: str
    controls: tuple[str, ...] = ()  # the logbaseline controls that hold it
    reason: str = ""  # when no control does: NOT_YET, or NOT_COVERED and why


def covered(security_hub: str, rules: tuple[str, ...], checks: str, *controls: str) -> Anchor:
    return Anchor(security_hub, rules, checks, controls=controls)


def not_yet(security_hub: str, rules: tuple[str, ...], checks: str) -> Anchor:
    return Anchor(security_hub, rules, checks, reason=NOT_YET)


def not_covered(security_hub: str, rules: tuple[str, ...], checks: str, why: str) -> Anchor:
    return Anchor(security_hub, rules, checks, reason=NOT_COVERED + why)


ANCHORS: tuple[Anchor, ...] = (
    covered(
        "APIGateway.1",
        ("api-gw-execution-logging-enabled",),
        "REST and WebSocket API stages log execution at ERROR or INFO",
        "apigateway_execution_logging_enabled",
    ),
    covered(
        "APIGateway.9",
        ("api-gwv2-access-logs-enabled",),
        "HTTP and WebSocket API (V2) stages have access logging",
        "apigateway_access_logging_enabled",
    ),
    covered(
        "",
        ("apigateway-stage-access-logs-enabled",),
        "REST API stages have access logging",
        "apigateway_access_logging_enabled",
    ),
    covered(
        "AppSync.2",
        ("appsync-logging-enabled",),
        "AppSync GraphQL APIs have field-level logging",
        "appsync_field_logging_enabled",
    ),
    not_covered(
        "Athena.4",
        ("athena-workgroup-logging-enabled",),
        "Athena workgroups publish usage metrics to CloudWatch",
        "usage metrics, not a log; Athena's API calls are in CloudTrail",
    ),
    covered(
        "CloudFront.5",
        ("cloudfront-accesslogs-enabled",),
        "CloudFront distributions have standard logging (logbaseline: legacy, v2 or real-time)",
        "cloudfront_distribution_logging_enabled",
    ),
    covered(
        "CloudTrail.1",
        ("multi-region-cloudtrail-enabled",),
        "a multi-Region trail records read and write management events",
        "cloudtrail_multi_region_logging",
    ),
    covered(
        "CloudTrail.2", ("cloud-trail-encryption-enabled",), "trails use SSE-KMS", "cloudtrail_kms_encryption_enabled"
    ),
    covered(
        "CloudTrail.4",
        ("cloud-trail-log-file-validation-enabled",),
        "trails have log file validation",
        "cloudtrail_log_file_validation_enabled",
    ),
    covered(
        "CloudTrail.5",
        ("cloud-trail-cloud-watch-logs-enabled",),
        "trails deliver to CloudWatch Logs",
        "cloudtrail_cloudwatch_logs_enabled",
    ),
    covered(
        "CloudTrail.6",
        ("cloudtrail-s3-bucket-public-access-prohibited",),
        "the trail bucket is not public",
        "cloudtrail_bucket_not_public",
    ),
    covered(
        "CloudTrail.7",
        ("cloudtrail-s3-bucket-access-logging",),
        "the trail bucket has server access logging",
        "cloudtrail_bucket_access_logging_enabled",
    ),
    covered(
        "",
        ("cloudtrail-security-trail-enabled",),
        "one multi-Region trail has global service events, validation and KMS, and all read and write management "
        "events (logbaseline: and is logging)",
        "cloudtrail_security_trail_enabled",
    ),
    covered(
        "",
        ("cloudtrail-s3-dataevents-enabled",),
        "a trail records S3 data events of all buckets (logbaseline: a multi-Region trail, reads and writes; the "
        "rule's S3BucketNames list is not offered)",
        "cloudtrail_s3_data_events_recorded",
    ),
    covered(
        "S3.22",
        ("cloudtrail-all-write-s3-data-event-check",),
        "a multi-Region trail records S3 object writes",
        "cloudtrail_s3_data_events_recorded",
    ),
    covered(
        "S3.23",
        ("cloudtrail-all-read-s3-data-event-check",),
        "a multi-Region trail records S3 object reads",
        "cloudtrail_s3_data_events_recorded",
    ),
    covered(
        "CloudWatch.16",
        ("cw-loggroup-retention-period-check",),
        "log groups keep events at least a set time (logbaseline adds a ceiling)",
        "logs_log_group_retention_bounded",
    ),
    covered(
        "", ("cloudwatch-log-group-encrypted",), "log groups use a KMS key", "logs_log_group_kms_encryption_enabled"
    ),
    covered(
        "CodeBuild.4",
        ("codebuild-project-logging-enabled",),
        "CodeBuild projects log to CloudWatch Logs or S3",
        "codebuild_project_logging_enabled",
    ),
    covered("Config.1", (), "AWS Config records (a Security Hub check, no managed rule)", "config_recorder_active"),
    covered(
        "DMS.7",
        ("dms-replication-task-targetdb-logging",),
        "DMS replication tasks log the target database",
        "dms_replication_task_logging_enabled",
    ),
    covered(
        "DMS.8",
        ("dms-replication-task-sourcedb-logging",),
        "DMS replication tasks log the source database",
        "dms_replication_task_logging_enabled",
    ),
    covered(
        "DocumentDB.4",
        ("docdb-cluster-audit-logging-enabled",),
        "DocumentDB clusters export audit logs",
        "rds_log_exports_enabled",
    ),
    covered("EC2.6", ("vpc-flow-logs-enabled",), "VPCs have flow logs", "vpc_flow_logs_enabled"),
    covered(
        "EC2.51",
        ("ec2-client-vpn-connection-log-enabled",),
        "Client VPN endpoints log client connections",
        "ec2_client_vpn_connection_logging_enabled",
    ),
    covered(
        "ECS.9",
        ("ecs-task-definition-log-configuration",),
        "ECS task definitions have a log configuration",
        "ecs_task_definition_log_configuration",
    ),
    covered(
        "EKS.8",
        ("eks-cluster-log-enabled", "eks-cluster-logging-enabled"),
        "EKS clusters send control-plane audit logs",
        "eks_control_plane_audit_logging_enabled",
    ),
    covered(
        "ElasticBeanstalk.3",
        ("elastic-beanstalk-logs-to-cloudwatch",),
        "Beanstalk environments stream logs",
        "elastic_beanstalk_logs_to_cloudwatch",
    ),
    covered(
        "ELB.5",
        ("elb-logging-enabled",),
        "Application and Classic Load Balancers log access",
        "elb_access_logs_enabled",
    ),
    covered(
        "ES.4",
        ("elasticsearch-logs-to-cloudwatch",),
        "Elasticsearch domains send error logs",
        "opensearch_logs_enabled",
    ),
    covered(
        "ES.5",
        ("elasticsearch-audit-logging-enabled",),
        "Elasticsearch domains have audit logging",
        "opensearch_logs_enabled",
    ),
    covered("GuardDuty.1", ("guardduty-enabled-centralized",), "GuardDuty is enabled", "guardduty_enabled"),
    not_covered(
        "KMS.4",
        ("cmk-backing-key-rotation-enabled",),
        "KMS keys rotate (CIS v3.0 3.6, in its logging section)",
        "key rotation is no log setting",
    ),
    covered(
        "MQ.2",
        ("mq-cloudwatch-audit-log-enabled", "mq-cloudwatch-audit-logging-enabled"),
        "ActiveMQ brokers stream audit logs (logbaseline: RabbitMQ brokers their general log)",
        "mq_broker_logging_enabled",
    ),
    covered(
        "",
        ("msk-connect-connector-logging-enabled",),
        "MSK Connect connectors log",
        "msk_connect_connector_logging_enabled",
    ),
    covered(
        "Neptune.2",
        ("neptune-cluster-cloudwatch-log-export-enabled",),
        "Neptune clusters export audit logs",
        "rds_log_exports_enabled",
    ),
    covered(
        "NetworkFirewall.2",
        ("netfw-logging-enabled",),
        "Network Firewall firewalls log flows and alerts",
        "networkfirewall_logging_enabled",
    ),
    covered(
        "Opensearch.4",
        ("opensearch-logs-to-cloudwatch",),
        "OpenSearch domains send error logs",
        "opensearch_logs_enabled",
    ),
    covered(
        "Opensearch.5",
        ("opensearch-audit-logging-enabled",),
        "OpenSearch domains have audit logging",
        "opensearch_logs_enabled",
    ),
    covered(
        "RDS.9", ("rds-logging-enabled",), "RDS DB instances export their engine's logs", "rds_log_exports_enabled"
    ),
    covered(
        "RDS.34",
        ("rds-aurora-mysql-audit-logging-enabled",),
        "Aurora MySQL clusters export audit logs",
        "rds_log_exports_enabled",
    ),
    covered(
        "RDS.36",
        ("rds-postgresql-logs-to-cloudwatch",),
        "RDS for PostgreSQL instances export logs",
        "rds_log_exports_enabled",
    ),
    covered(
        "RDS.37",
        ("rds-aurora-postgresql-logs-to-cloudwatch",),
        "Aurora PostgreSQL clusters export logs",
        "rds_log_exports_enabled",
    ),
    covered(
        "RDS.40",
        ("rds-sql-server-logs-to-cloudwatch",),
        "RDS for SQL Server instances export logs",
        "rds_log_exports_enabled",
    ),
    covered(
        "Redshift.4",
        (
            "redshift-cluster-audit-logging-enabled",
            "redshift-audit-logging-enabled",
            "redshift-cluster-configuration-check",
        ),
        "Redshift clusters have audit logging (Security Hub's own rule first; the configuration check also judges "
        "encryption)",
        "redshift_audit_logging_enabled",
    ),
    covered(
        "",
        ("redshift-serverless-publish-logs-to-cloudwatch",),
        "Redshift Serverless namespaces export logs",
        "redshift_serverless_logs_exported",
    ),
    covered(
        "Route53.2",
        ("route53-query-logging-enabled",),
        "public hosted zones log DNS queries",
        "route53_query_logging_enabled",
    ),
    covered(
        "S3.9",
        ("s3-bucket-logging-enabled",),
        "buckets have server access logging (logbaseline: log buckets, or every bucket)",
        "s3_bucket_server_access_logging_enabled",
    ),
    covered(
        "StepFunctions.1",
        ("step-functions-state-machine-logging-enabled",),
        "state machines log executions",
        "stepfunctions_logging_enabled",
    ),
    covered(
        "",
        ("transfer-connector-logging-enabled",),
        "Transfer Family connectors log to CloudWatch",
        "transfer_connector_logging_enabled",
    ),
    not_covered(
        "WAF.1",
        ("waf-classic-logging-enabled",),
        "WAF Classic global web ACLs log",
        "WAF Classic; logbaseline judges WAFv2 web ACLs",
    ),
    covered("WAF.11", ("wafv2-logging-enabled",), "WAFv2 web ACLs log", "wafv2_web_acl_logging_enabled"),
    covered(
        "S3.2",
        ("s3-bucket-public-read-prohibited",),
        "buckets prohibit public read access (logbaseline: log buckets only; keep S3.2 for the others)",
        "s3_log_bucket_not_public",
    ),
    covered(
        "S3.8",
        ("s3-bucket-level-public-access-prohibited",),
        "buckets block public access (logbaseline: log buckets only; keep S3.8 for the others)",
        "s3_log_bucket_not_public",
    ),
    # Found by comparing the table with the Security Hub controls reference and the AWS Config managed rule list
    # again: anchors held by existing controls, and settings that are metrics, traces or another service's hygiene.
    covered(
        "CloudTrail.3",
        ("cloudtrail-enabled",),
        "at least one trail is enabled (PCI DSS; logbaseline asks for a multi-Region trail)",
        "cloudtrail_multi_region_logging",
    ),
    covered(
        "RDS.42",
        ("mariadb-publish-logs-to-cloudwatch-logs",),
        "RDS for MariaDB instances export logs (logbaseline: audit, error, general and slow query)",
        "rds_log_exports_enabled",
    ),
    covered("", ("nlb-logging-enabled",), "Network Load Balancers log access", "elb_access_logs_enabled"),
    covered("", ("securityhub-enabled",), "Security Hub is enabled", "securityhub_enabled"),
    covered(
        "CodeBuild.3",
        ("codebuild-project-s3-logs-encrypted",),
        "CodeBuild projects' S3 logs are encrypted",
        "codebuild_s3_logs_encrypted",
    ),
    not_covered(
        "WAF.12",
        ("wafv2-rulegroup-logging-enabled",),
        "WAFv2 rule groups publish CloudWatch metrics",
        "metrics, not a log; the web ACL's logs are WAF.11",
    ),
    not_covered("ECS.12", ("ecs-container-insights-enabled",), "ECS clusters use Container Insights", "metrics"),
    not_covered("Lambda.7", ("lambda-function-xray-enabled",), "Lambda functions trace with X-Ray", "traces"),
    not_covered("APIGateway.3", ("api-gw-xray-enabled",), "REST API stages trace with X-Ray", "traces"),
    not_covered("RDS.6", ("rds-enhanced-monitoring-enabled",), "RDS instances have enhanced monitoring", "metrics"),
    not_covered("MSK.2", ("msk-enhanced-monitoring-enabled",), "MSK clusters have enhanced monitoring", "metrics"),
    not_covered(
        "CloudWatch.15",
        ("cloudwatch-alarm-action-check",),
        "alarms have an action in the ALARM state",
        "alarm hygiene; the CIS alarms' actions are judged by cloudtrail_security_alarms",
    ),
    not_covered(
        "CloudWatch.17",
        ("cloudwatch-alarm-action-enabled-check",),
        "alarm actions are enabled",
        "alarm hygiene; the CIS alarms' actions are judged by cloudtrail_security_alarms",
    ),
    not_covered(
        "GuardDuty.5",
        ("guardduty-eks-protection-audit-enabled",),
        "GuardDuty monitors EKS audit logs",
        "a detection feature; the EKS audit logs themselves are EKS.8",
    ),
    not_covered(
        "SNS.2",
        ("sns-topic-message-delivery-notification-enabled",),
        "SNS topics log delivery status",
        "retired by Security Hub in April 2024; delivery status is an operational log",
    ),
    not_covered(
        "",
        ("rum-app-monitor-cloudwatch-logs-enabled",),
        "CloudWatch RUM app monitors keep their events in CloudWatch Logs",
        "client telemetry, not a security log",
    ),
    not_covered(
        "",
        ("appmesh-virtual-gateway-logging-file-path-exists", "appmesh-virtual-node-logging-file-path-exists"),
        "App Mesh Envoy access logs have a file path",
        "a file inside the container, not a log destination AWS holds",
    ),
    not_covered(
        "",
        ("acm-certificate-transparent-logging-enabled",),
        "certificates are recorded in public certificate transparency logs",
        "a public certificate log, not a log of the account's activity",
    ),
    not_covered(
        "",
        (
            "apprunner-service-observability-enabled",
            "appsync-graphql-api-xray-enabled",
            "api-gwv2-stage-default-route-detailed-metrics-enabled",
            "ec2-instance-detailed-monitoring-enabled",
        ),
        "tracing and detailed metrics of App Runner, AppSync, API Gateway V2 and EC2",
        "traces and metrics",
    ),
    not_covered(
        "",
        ("cloudwatch-alarm-resource-check", "cloudwatch-alarm-settings-check"),
        "alarms exist for a resource type and have given settings",
        "alarm hygiene, not logging",
    ),
    # Aurora MySQL auditing, CloudTrail Lake keys, Glue jobs, FIS experiment templates
    covered(
        "RDS.45",
        ("aurora-mysql-cluster-audit-logging",),
        "Aurora MySQL clusters have Advanced Auditing on (server_audit_logging, server_audit_events, in sync)",
        "rds_aurora_mysql_audit_logging_enabled",
    ),
    covered(
        "",
        ("event-data-store-cmk-encryption-enabled",),
        "CloudTrail Lake event data stores use a customer managed KMS key (logbaseline: any key; the rule's optional "
        "kmsKeyArns list is not offered)",
        "cloudtrail_lake_kms_encryption_enabled",
    ),
    covered(
        "",
        ("glue-job-logging-enabled",),
        "Glue jobs have continuous CloudWatch logging (logbaseline: Spark ETL and streaming jobs)",
        "glue_job_logging_enabled",
    ),
    covered(
        "",
        ("fis-experiment-template-log-configuration-exists",),
        "FIS experiment templates have a log configuration",
        "fis_experiment_logging_enabled",
    ),
    covered(
        "S3.15",
        ("s3-bucket-default-lock-enabled",),
        "buckets have Object Lock on (logbaseline: trail buckets only, optional, with a retention in the bounds)",
        "cloudtrail_bucket_object_lock",
    ),
    # Security Hub and AWS Config logging checks that the parity audit found missing
    covered(
        "EC2.171",
        ("ec2-vpn-connection-logging-enabled",),
        "Site-to-Site VPN connections log both tunnels to CloudWatch Logs",
        "ec2_vpn_connection_logging_enabled",
    ),
    covered(
        "SSM.6",
        ("ssm-automation-logging-enabled",),
        "Systems Manager Automation sends aws:executeScript output to CloudWatch Logs",
        "ssm_automation_logging_enabled",
    ),
    covered(
        "DataSync.1",
        ("datasync-task-logging-enabled",),
        "DataSync tasks log to CloudWatch Logs (logbaseline: BASIC or TRANSFER; Enhanced mode needs no group)",
        "datasync_task_logging_enabled",
    ),
    covered(
        "Connect.2",
        ("connect-instance-logging-enabled",),
        "Amazon Connect instances send flow logs to CloudWatch Logs",
        "connect_instance_logging_enabled",
    ),
    covered(
        "",
        ("fsx-windows-audit-log-configured",),
        "FSx for Windows File Server file systems audit file and share access to a destination",
        "fsx_windows_audit_log_configured",
    ),
    # Bedrock AgentCore (Security Hub's category Identify > Logging)
    not_covered(
        "BedrockAgentCore.6",
        ("bedrockagentcore-browsercustom-recording-enabled",),
        "Bedrock AgentCore custom browsers record their sessions to S3",
        "not held yet: AgentCore is offered in a few regions, which botocore's endpoint data does not list, so a "
        "sweep could not tell a region without it from an unreachable endpoint; the reads exist (ListBrowsers of "
        "type CUSTOM, GetBrowser's recording), and recording is set only when a browser is created",
    ),
    *(
        covered(check.control, (), f"a CIS metric filter and alarm on {check.what}", "cloudtrail_security_alarms")
        for check in cis_monitoring.CHECKS
    ),
)
