"""Every sample event is matched by the template's own patterns and reaches the controls it should."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from logbaseline import sam_template
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.controls._log_buckets import bucket_name
from logbaseline.engine.routing import InvalidEvent, exemption_tags_set, route
from moto.events.models import EventPattern

from tests.conftest import EVENTS, ROOT, load_event

PATTERNS = [
    EventPattern.load(json.dumps(r.pattern))
    for r in sam_template.event_rules(sam_template.load(ROOT / "template.yaml"))
]
RETENTION, FLOW_LOGS = "logs_log_group_retention_bounded", "vpc_flow_logs_enabled"
TRAIL_LOGGING, VALIDATION = "cloudtrail_multi_region_logging", "cloudtrail_log_file_validation_enabled"
TRAIL_KMS, TRAIL_CW = "cloudtrail_kms_encryption_enabled", "cloudtrail_cloudwatch_logs_enabled"
EKS, RECORDER, GUARDDUTY = "eks_control_plane_audit_logging_enabled", "config_recorder_active", "guardduty_enabled"
GROUP_KMS, DNS = "logs_log_group_kms_encryption_enabled", "vpc_dns_query_logging_enabled"
ELB, WAF = "elb_access_logs_enabled", "wafv2_web_acl_logging_enabled"
NOT_PUBLIC, TRAIL_BUCKET_LOGGING = "cloudtrail_bucket_not_public", "cloudtrail_bucket_access_logging_enabled"
LIFECYCLE, ACCESS_LOGGING = "s3_log_bucket_lifecycle_bounded", "s3_bucket_server_access_logging_enabled"
LOG_BUCKET_NOT_PUBLIC, LOGS_POLICY = "s3_log_bucket_not_public", "logs_resource_policy_restricted"
DUPLICATES, CENTRALIZED = "cloudtrail_no_duplicate_management_events", "logs_centralized"
ALARMS, SECURITYHUB, QUERYABLE = "cloudtrail_security_alarms", "securityhub_enabled", "cloudtrail_logs_queryable"
S3_DATA_EVENTS, SECURITY_TRAIL = "cloudtrail_s3_data_events_recorded", "cloudtrail_security_trail_enabled"
# The account-level controls judging the multi-region trails' selectors and settings, as one trail change reaches them.
ACCOUNT_TRAILS = {(S3_DATA_EVENTS, None), (SECURITY_TRAIL, None)}
SECURITY_LAKE, OBJECT_LOCK = "securitylake_sources_enabled", "cloudtrail_bucket_object_lock"
ACCELERATOR, ACCELERATOR_BUCKET = "globalaccelerator_flow_logs_enabled", "edge-flow-logs-123456789012"
ORDERS_ACCELERATOR = "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"
GAME_ACCELERATOR = "arn:aws:globalaccelerator::123456789012:accelerator/5678abcd-abcd-5678-abcd-5678abcdefgh"

GROUP, VPC, TRAIL = "/aws/lambda/orders-api", "vpc-0a1b2c3d4e5f67890", "management-events"
TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events"
CLUSTER_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/orders-prod"
ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders-alb/50dc6c495c0c9188"
CLASSIC_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/legacy-web"
ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/orders-web-acl/a1b2c3d4-5678-40ab-9def-0123456789ab"
BUCKET = "org-cloudtrail-logs-123456789012"
FLOW_LOG_BUCKET = "arn:aws:s3:::vpc-flow-logs-123456789012/flow/"
TRAIL_CHANGE = {(TRAIL_LOGGING, None), (VALIDATION, TRAIL), (TRAIL_KMS, TRAIL), (TRAIL_CW, TRAIL), (DUPLICATES, None)}
TRAIL_CHANGE |= {(CENTRALIZED, None), (ALARMS, None)}
TRAIL_CHANGE |= {(QUERYABLE, TRAIL)}
TRAIL_CHANGE |= ACCOUNT_TRAILS
# A trail change may move it to another bucket: the trail's bucket (responseElements.s3BucketName) is re-judged.
TRAIL_BUCKETS = {(NOT_PUBLIC, BUCKET), (TRAIL_BUCKET_LOGGING, BUCKET)}
TRAIL_BUCKETS |= {(OBJECT_LOCK, BUCKET)}
# ... and it becomes a log bucket: the log-bucket controls judge it at once, not at the next sweep.
LOG_BUCKET_OF_A_TRAIL = {(LIFECYCLE, BUCKET), (ACCESS_LOGGING, BUCKET), (LOG_BUCKET_NOT_PUBLIC, BUCKET)}
INTEGRITY = {("cloudtrail_log_integrity_verified", TRAIL)}  # a trail's change re-verifies its new digests
LAKE_STORE = "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
VPC_CHANGE = {(FLOW_LOGS, VPC), (DNS, VPC)}
# API Gateway stages: the stage calls name the API and the stage (REST restApiId, V2 apiId); Config names the ARN.
API_EXECUTION, API_ACCESS = "apigateway_execution_logging_enabled", "apigateway_access_logging_enabled"
REST_STAGE, HTTP_STAGE = "/restapis/h2k8w4n6q1/stages/prod", "/apis/k7m2p9q4r1/stages/prod"
API_STAGE_ARN = "arn:aws:apigateway:us-east-1::{}".format
RDS = "rds_log_exports_enabled"
AURORA_AUDIT = "rds_aurora_mysql_audit_logging_enabled"
FIS, FIS_TEMPLATE = "fis_experiment_logging_enabled", "EXT2mWq7rTz9xKc4L"
GLUE, GLUE_JOB = "glue_job_logging_enabled", "arn:aws:glue:us-east-1:123456789012:job/orders-etl"
LAKE_CHANGE = {
    ("cloudtrail_lake_retention_bounded", LAKE_STORE),
    ("cloudtrail_lake_kms_encryption_enabled", LAKE_STORE),
}
STEPFUNCTIONS, STATE_MACHINE = (
    "stepfunctions_logging_enabled",
    "arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow",
)
SEARCH, SEARCH_DOMAIN = "opensearch_logs_enabled", "arn:aws:es:us-east-1:123456789012:domain/orders-search"
FIREWALL, FIREWALL_ARN = (
    "networkfirewall_logging_enabled",
    "arn:aws:network-firewall:us-east-1:123456789012:firewall/edge-firewall",
)
REDSHIFT = "redshift_audit_logging_enabled"
APPSYNC, GRAPHQL_API = (
    "appsync_field_logging_enabled",
    "arn:aws:appsync:us-east-1:123456789012:apis/q7w3e5r2t8y4u6i9o1p0a2s4d6",
)
MQ, BROKER_ID = "mq_broker_logging_enabled", "b-3f2a7c1e-9d4b-4e6a-8c5f-1a2b3c4d5e6f"
BROKER_ARN = f"arn:aws:mq:us-east-1:123456789012:broker:orders-mq:{BROKER_ID}"
MSK, MSK_CLUSTER = (
    "msk_broker_logging_enabled",
    "arn:aws:kafka:us-east-1:123456789012:cluster/orders-kafka/5a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d-2",
)
TRANSFER_CONNECTOR = "transfer_connector_logging_enabled"
TRANSFER_SERVER, SERVERLESS = "transfer_server_logging_enabled", "redshift_serverless_logs_exported"
NAMESPACE = "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/3c5e7a9b-1d2f-4a4b-8c6d-8e0f2a4b6c8d"
MSK_CONNECT = "msk_connect_connector_logging_enabled"
KAFKA_CONNECTOR = (
    "arn:aws:kafkaconnect:us-east-1:123456789012:connector/orders-sink/6d8f0b2c-4e5a-4c7b-9d9f-1b3d5f7a9c0e-3"
)
DATASYNC_TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0a1b2c3d4e5f60718"
CONNECT, CONNECT_INSTANCE = "connect_instance_logging_enabled", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
ROUTE53, ZONE = "route53_query_logging_enabled", "Z0312345EXAMPLEQRS"
CODEBUILD, BUILD_PROJECT = (
    "codebuild_project_logging_enabled",
    "arn:aws:codebuild:us-east-1:123456789012:project/orders-build",
)
ECS, TASK_DEFINITIONS = (
    "ecs_task_definition_log_configuration",
    "arn:aws:ecs:us-east-1:123456789012:task-definition/orders-api",
)
BEANSTALK, BEANSTALK_ENVIRONMENT = (
    "elastic_beanstalk_logs_to_cloudwatch",
    "arn:aws:elasticbeanstalk:us-east-1:123456789012:environment/orders/orders-web",
)
DMS, REPLICATION_TASK = (
    "dms_replication_task_logging_enabled",
    "arn:aws:dms:us-east-1:123456789012:task:FQ6ZQ3UH5SXWQCZ4ZK2NOLNSPE",
)
CLIENT_VPN = "ec2_client_vpn_connection_logging_enabled"
DB_INSTANCE, DB_CLUSTER = (
    "arn:aws:rds:us-east-1:123456789012:db:orders-db",
    "arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora",
)
CLOUDFRONT, DISTRIBUTION = (
    "cloudfront_distribution_logging_enabled",
    "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE",
)

# event file -> the (control, resource id or None for the whole region) it must reach
EXPECTED = {
    "cloudtrail/logs-CreateLogGroup.json": {(RETENTION, GROUP), (GROUP_KMS, GROUP)},
    "cloudtrail/logs-PutRetentionPolicy.json": {(RETENTION, GROUP)},
    "cloudtrail/logs-DeleteRetentionPolicy.json": {(RETENTION, GROUP)},
    "cloudtrail/logs-DeleteLogGroup.json": {(RETENTION, GROUP), (GROUP_KMS, GROUP)},
    "cloudtrail/logs-AssociateKmsKey.json": {(GROUP_KMS, GROUP)},
    "cloudtrail/logs-DisassociateKmsKey.json": {(GROUP_KMS, GROUP)},
    "cloudtrail/logs-PutResourcePolicy.json": {(LOGS_POLICY, None)},
    "cloudtrail/logs-DeleteResourcePolicy.json": {(LOGS_POLICY, None)},
    "cloudtrail/logs-PutMetricFilter.json": {(ALARMS, None)},
    "cloudtrail/logs-DeleteMetricFilter.json": {(ALARMS, None)},
    "cloudtrail/securityhub-EnableSecurityHub.json": {(SECURITYHUB, None)},
    "cloudtrail/securityhub-DisableSecurityHub.json": {(SECURITYHUB, None)},
    "cloudtrail/securityhub-DisassociateFromAdministratorAccount.json": {(SECURITYHUB, None)},
    # Security Lake: one call configures several regions and accounts, so the account's lake is re-judged.
    "cloudtrail/securitylake-CreateDataLake.json": {(SECURITY_LAKE, None)},
    "cloudtrail/securitylake-UpdateDataLake.json": {(SECURITY_LAKE, None)},
    "cloudtrail/securitylake-DeleteDataLake.json": {(SECURITY_LAKE, None)},
    "cloudtrail/securitylake-CreateAwsLogSource.json": {(SECURITY_LAKE, None)},
    "cloudtrail/securitylake-DeleteAwsLogSource.json": {(SECURITY_LAKE, None)},
    "cloudtrail/s3-PutObjectLockConfiguration.json": {(OBJECT_LOCK, BUCKET)},
    "cloudtrail/ec2-CreateVpc.json": VPC_CHANGE,
    "cloudtrail/ec2-CreateFlowLogs.json": {(FLOW_LOGS, VPC), (CENTRALIZED, None)},  # to a log group: no bucket to judge
    "cloudtrail/ec2-CreateFlowLogs-s3.json": {
        (FLOW_LOGS, VPC),
        (CENTRALIZED, None),
        (LIFECYCLE, FLOW_LOG_BUCKET),
        (ACCESS_LOGGING, FLOW_LOG_BUCKET),
        (LOG_BUCKET_NOT_PUBLIC, FLOW_LOG_BUCKET),
    },
    # A subnet's flow log: no VPC is judged, but its bucket becomes a log bucket all the same.
    "cloudtrail/ec2-CreateFlowLogs-subnet.json": {
        (CENTRALIZED, None),
        (LIFECYCLE, FLOW_LOG_BUCKET),
        (ACCESS_LOGGING, FLOW_LOG_BUCKET),
        (LOG_BUCKET_NOT_PUBLIC, FLOW_LOG_BUCKET),
    },
    "cloudtrail/ec2-DeleteFlowLogs.json": {(FLOW_LOGS, None)},
    "cloudtrail/cloudtrail-CreateTrail.json": TRAIL_CHANGE | TRAIL_BUCKETS | LOG_BUCKET_OF_A_TRAIL | INTEGRITY,
    "cloudtrail/cloudtrail-UpdateTrail.json": TRAIL_CHANGE | TRAIL_BUCKETS | LOG_BUCKET_OF_A_TRAIL | INTEGRITY,
    "cloudtrail/cloudtrail-DeleteTrail.json": TRAIL_CHANGE | INTEGRITY,
    "cloudtrail/cloudtrail-CreateEventDataStore.json": LAKE_CHANGE,
    "cloudtrail/cloudtrail-UpdateEventDataStore.json": LAKE_CHANGE,
    "cloudtrail/cloudtrail-StartLogging.json": {(TRAIL_LOGGING, None), (DUPLICATES, None), (CENTRALIZED, None)}
    | ACCOUNT_TRAILS,
    "cloudtrail/cloudtrail-StopLogging.json": {(TRAIL_LOGGING, None), (DUPLICATES, None), (CENTRALIZED, None)}
    | ACCOUNT_TRAILS,
    "cloudtrail/cloudtrail-PutEventSelectors.json": {(TRAIL_LOGGING, None), (DUPLICATES, None)} | ACCOUNT_TRAILS,
    "cloudtrail/cloudtrail-PutEventSelectors-advanced.json": {(TRAIL_LOGGING, None), (DUPLICATES, None)}
    | ACCOUNT_TRAILS,
    "cloudtrail/eks-CreateCluster.json": {(EKS, CLUSTER_ARN)},
    "cloudtrail/eks-UpdateClusterConfig.json": {(EKS, "orders-prod")},
    "cloudtrail/config-StopConfigurationRecorder.json": {(RECORDER, None)},
    "cloudtrail/config-StartConfigurationRecorder.json": {(RECORDER, None)},
    "cloudtrail/config-PutConfigurationRecorder.json": {(RECORDER, None)},
    "cloudtrail/config-DeleteConfigurationRecorder.json": {(RECORDER, None)},
    "cloudtrail/config-DeleteDeliveryChannel.json": {(RECORDER, None)},
    "cloudtrail/config-PutDeliveryChannel.json": {(RECORDER, None)},
    "cloudtrail/config-AssociateResourceTypes.json": {(RECORDER, None)},
    "cloudtrail/config-DisassociateResourceTypes.json": {(RECORDER, None)},
    "cloudtrail/guardduty-CreateDetector.json": {(GUARDDUTY, None)},
    "cloudtrail/guardduty-UpdateDetector.json": {(GUARDDUTY, None)},
    "cloudtrail/guardduty-DeleteDetector.json": {(GUARDDUTY, None)},
    "cloudtrail/route53resolver-AssociateResolverQueryLogConfig.json": {(DNS, VPC)},
    "cloudtrail/route53resolver-DisassociateResolverQueryLogConfig.json": {(DNS, VPC)},
    "cloudtrail/route53resolver-DeleteResolverQueryLogConfig.json": {(DNS, None)},
    "cloudtrail/route53resolver-CreateResolverQueryLogConfig.json": {
        (CENTRALIZED, None),
        (LIFECYCLE, "arn:aws:s3:::dns-query-logs-123456789012"),
        (ACCESS_LOGGING, "arn:aws:s3:::dns-query-logs-123456789012"),
        (LOG_BUCKET_NOT_PUBLIC, "arn:aws:s3:::dns-query-logs-123456789012"),
    },
    "cloudtrail/elasticloadbalancing-CreateLoadBalancer.json": {(ELB, ALB)},
    "cloudtrail/elasticloadbalancing-CreateLoadBalancer-classic.json": {(ELB, "legacy-web")},
    # The response lists every attribute, the access-log bucket too: it is judged as a log bucket.
    "cloudtrail/elasticloadbalancing-ModifyLoadBalancerAttributes.json": {
        (ELB, ALB),
        (LIFECYCLE, "elb-access-logs-123456789012"),
        (ACCESS_LOGGING, "elb-access-logs-123456789012"),
        (LOG_BUCKET_NOT_PUBLIC, "elb-access-logs-123456789012"),
    },
    "cloudtrail/elasticloadbalancing-ModifyLoadBalancerAttributes-classic.json": {(ELB, "legacy-web")},
    "cloudtrail/wafv2-CreateWebACL.json": {(WAF, ACL)},
    "cloudtrail/wafv2-PutLoggingConfiguration.json": {(WAF, ACL)},
    "cloudtrail/wafv2-DeleteLoggingConfiguration.json": {(WAF, ACL)},
    "cloudtrail/s3-PutBucketPublicAccessBlock.json": {(NOT_PUBLIC, BUCKET), (LOG_BUCKET_NOT_PUBLIC, BUCKET)},
    "cloudtrail/s3-DeleteBucketPublicAccessBlock.json": {(NOT_PUBLIC, BUCKET), (LOG_BUCKET_NOT_PUBLIC, BUCKET)},
    "cloudtrail/s3-PutBucketPolicy.json": {(NOT_PUBLIC, BUCKET), (LOG_BUCKET_NOT_PUBLIC, BUCKET)},
    "cloudtrail/s3-DeleteBucketPolicy.json": {(NOT_PUBLIC, BUCKET), (LOG_BUCKET_NOT_PUBLIC, BUCKET)},
    "cloudtrail/s3-PutBucketAcl.json": {(NOT_PUBLIC, BUCKET), (LOG_BUCKET_NOT_PUBLIC, BUCKET)},
    # Logging turned off: no target bucket is named, so the lifecycle control judges the logged bucket (with the
    # reads ACCESS_LOGGING makes for it) rather than re-reading every log source and bucket of the region.
    "cloudtrail/s3-PutBucketLogging.json": {
        (TRAIL_BUCKET_LOGGING, BUCKET),
        (ACCESS_LOGGING, BUCKET),
        (LIFECYCLE, BUCKET),
    },
    "cloudtrail/s3-PutBucketLifecycle.json": {(LIFECYCLE, BUCKET)},
    "cloudtrail/s3-DeleteBucketLifecycle.json": {(LIFECYCLE, BUCKET)},
    "config/AWS-CloudTrail-Trail.json": {
        (TRAIL_LOGGING, None),
        (DUPLICATES, None),
        (CENTRALIZED, None),
        (VALIDATION, TRAIL_ARN),
        (TRAIL_KMS, TRAIL_ARN),
        (TRAIL_CW, TRAIL_ARN),
        (QUERYABLE, TRAIL_ARN),
        *ACCOUNT_TRAILS,
    },
    "config/AWS-EC2-VPC.json": VPC_CHANGE,
    "config/deleted-AWS-EC2-VPC.json": VPC_CHANGE,
    "config/oversized-AWS-EC2-VPC.json": VPC_CHANGE,
    "config/AWS-EC2-FlowLog.json": {(FLOW_LOGS, VPC)},
    "config/AWS-EKS-Cluster.json": {(EKS, CLUSTER_ARN)},
    "config/AWS-GuardDuty-Detector.json": {(GUARDDUTY, None)},
    "config/AWS-ElasticLoadBalancingV2-LoadBalancer.json": {(ELB, ALB)},
    "config/AWS-ElasticLoadBalancing-LoadBalancer.json": {(ELB, CLASSIC_ARN)},
    "config/AWS-WAFv2-WebACL.json": {(WAF, ACL)},
    "config/AWS-S3-Bucket.json": {
        (NOT_PUBLIC, BUCKET),
        (TRAIL_BUCKET_LOGGING, BUCKET),
        (LIFECYCLE, BUCKET),
        (ACCESS_LOGGING, BUCKET),
        (LOG_BUCKET_NOT_PUBLIC, BUCKET),
        (OBJECT_LOCK, BUCKET),
    },
    "cloudtrail/apigateway-CreateStage.json": {(API_EXECUTION, HTTP_STAGE), (API_ACCESS, HTTP_STAGE)},
    "cloudtrail/apigateway-UpdateStage.json": {(API_EXECUTION, REST_STAGE), (API_ACCESS, REST_STAGE)},
    "cloudtrail/apigateway-DeleteStage.json": {(API_EXECUTION, REST_STAGE), (API_ACCESS, REST_STAGE)},
    "cloudtrail/apigateway-UpdateAccount.json": {(API_EXECUTION, None)},  # the CloudWatch Logs role: every stage
    "config/AWS-ApiGateway-Stage.json": {
        (API_EXECUTION, API_STAGE_ARN(REST_STAGE)),
        (API_ACCESS, API_STAGE_ARN(REST_STAGE)),
    },
    "cloudtrail/cloudfront-CreateDistribution.json": {(CLOUDFRONT, DISTRIBUTION)},
    "cloudtrail/cloudfront-CreateDistributionWithTags.json": {(CLOUDFRONT, DISTRIBUTION)},
    "cloudtrail/cloudfront-UpdateDistribution.json": {(CLOUDFRONT, DISTRIBUTION)},
    "config/AWS-CloudFront-Distribution.json": {(CLOUDFRONT, DISTRIBUTION)},
    "cloudtrail/rds-CreateDBInstance.json": {(RDS, DB_INSTANCE)},
    "cloudtrail/rds-ModifyDBInstance.json": {(RDS, DB_INSTANCE)},
    "cloudtrail/rds-CreateDBCluster.json": {(RDS, DB_CLUSTER), (AURORA_AUDIT, DB_CLUSTER)},
    "cloudtrail/rds-ModifyDBCluster.json": {(RDS, DB_CLUSTER), (AURORA_AUDIT, DB_CLUSTER)},
    "config/AWS-RDS-DBInstance.json": {(RDS, DB_INSTANCE)},
    "config/AWS-RDS-DBCluster.json": {(RDS, DB_CLUSTER), (AURORA_AUDIT, DB_CLUSTER)},
    # A parameter group's change names the group, not its clusters: every Aurora MySQL cluster is re-judged.
    "cloudtrail/rds-ModifyDBClusterParameterGroup.json": {(AURORA_AUDIT, None)},
    "cloudtrail/rds-ResetDBClusterParameterGroup.json": {(AURORA_AUDIT, None)},
    "cloudtrail/glue-CreateJob.json": {(GLUE, "orders-etl")},  # the job's name
    "cloudtrail/glue-UpdateJob.json": {(GLUE, "orders-etl")},
    "config/AWS-Glue-Job.json": {(GLUE, GLUE_JOB)},
    "cloudtrail/fis-CreateExperimentTemplate.json": {(FIS, FIS_TEMPLATE)},
    "cloudtrail/fis-UpdateExperimentTemplate.json": {(FIS, FIS_TEMPLATE)},
    "config/AWS-FIS-ExperimentTemplate.json": {(FIS, FIS_TEMPLATE)},
    "cloudtrail/route53-CreateHostedZone.json": {(ROUTE53, f"/hostedzone/{ZONE}")},
    "cloudtrail/route53-CreateQueryLoggingConfig.json": {(ROUTE53, ZONE)},
    "cloudtrail/route53-DeleteQueryLoggingConfig.json": {(ROUTE53, None)},  # names the configuration only
    "config/AWS-Route53-HostedZone.json": {(ROUTE53, ZONE)},
    "cloudtrail/states-CreateStateMachine.json": {(STEPFUNCTIONS, STATE_MACHINE)},
    "cloudtrail/states-UpdateStateMachine.json": {(STEPFUNCTIONS, STATE_MACHINE)},
    "config/AWS-StepFunctions-StateMachine.json": {(STEPFUNCTIONS, STATE_MACHINE)},
    "cloudtrail/es-CreateDomain.json": {(SEARCH, SEARCH_DOMAIN)},
    "cloudtrail/es-CreateElasticsearchDomain.json": {(SEARCH, SEARCH_DOMAIN)},
    "cloudtrail/es-UpdateDomainConfig.json": {(SEARCH, "orders-search")},
    "cloudtrail/es-UpdateElasticsearchDomainConfig.json": {(SEARCH, "orders-search")},
    "config/AWS-OpenSearch-Domain.json": {(SEARCH, SEARCH_DOMAIN)},
    "config/AWS-Elasticsearch-Domain.json": {(SEARCH, SEARCH_DOMAIN)},
    "cloudtrail/network-firewall-CreateFirewall.json": {(FIREWALL, FIREWALL_ARN)},
    "cloudtrail/network-firewall-UpdateLoggingConfiguration.json": {  # flow logs to S3: the bucket is a log bucket
        (FIREWALL, FIREWALL_ARN),
        *((c, "firewall-logs-123456789012") for c in (LIFECYCLE, ACCESS_LOGGING, LOG_BUCKET_NOT_PUBLIC)),
    },
    "config/AWS-NetworkFirewall-Firewall.json": {(FIREWALL, FIREWALL_ARN)},
    "cloudtrail/redshift-CreateCluster.json": {(REDSHIFT, "orders-dw")},
    "cloudtrail/redshift-EnableLogging.json": {(REDSHIFT, "orders-dw")},
    "cloudtrail/redshift-DisableLogging.json": {(REDSHIFT, "orders-dw")},
    "config/AWS-Redshift-Cluster.json": {(REDSHIFT, "orders-dw")},
    "cloudtrail/appsync-CreateGraphqlApi.json": {(APPSYNC, GRAPHQL_API)},
    "cloudtrail/appsync-UpdateGraphqlApi.json": {(APPSYNC, GRAPHQL_API)},
    "config/AWS-AppSync-GraphQLApi.json": {(APPSYNC, GRAPHQL_API)},
    "cloudtrail/mq-CreateBroker.json": {(MQ, BROKER_ARN)},
    "cloudtrail/mq-UpdateBroker.json": {(MQ, BROKER_ID)},
    "cloudtrail/mq-RebootBroker.json": {(MQ, BROKER_ID)},
    "config/AWS-AmazonMQ-Broker.json": {(MQ, BROKER_ARN)},
    **dict.fromkeys(["cloudtrail/kafka-CreateCluster.json", "cloudtrail/kafka-CreateClusterV2.json",
                     "cloudtrail/kafka-UpdateMonitoring.json", "config/AWS-MSK-Cluster.json"], {(MSK, MSK_CLUSTER)}),
    **dict.fromkeys(["cloudtrail/transfer-CreateConnector.json", "cloudtrail/transfer-UpdateConnector.json"],
                    {(TRANSFER_CONNECTOR, "c-4a6c8e0a2c4e6a8c0")}),
    "config/AWS-Transfer-Connector.json": {(TRANSFER_CONNECTOR, "arn:aws:transfer:us-east-1:123456789012:connector/"
                                                                "c-4a6c8e0a2c4e6a8c0")},
    **dict.fromkeys(["cloudtrail/transfer-CreateServer.json", "cloudtrail/transfer-UpdateServer.json"],
                    {(TRANSFER_SERVER, "s-2b4d6f8a0c2e4a6b8")}),
    "config/AWS-Transfer-Server.json": {(TRANSFER_SERVER, "arn:aws:transfer:us-east-1:123456789012:server/"
                                                          "s-2b4d6f8a0c2e4a6b8")},
    **dict.fromkeys(["cloudtrail/redshift-serverless-CreateNamespace.json",
                     "cloudtrail/redshift-serverless-UpdateNamespace.json",
                     "config/AWS-RedshiftServerless-Namespace.json"], {(SERVERLESS, NAMESPACE)}),
    **dict.fromkeys(["cloudtrail/kafkaconnect-CreateConnector.json", "config/AWS-KafkaConnect-Connector.json"],
                    {(MSK_CONNECT, KAFKA_CONNECTOR)}),
    "config/AWS-ApiGatewayV2-Stage.json": {
        (API_EXECUTION, API_STAGE_ARN(HTTP_STAGE)),
        (API_ACCESS, API_STAGE_ARN(HTTP_STAGE)),
    },
    # An exemption tag set or removed (engine/tagging.py): the resource, judged again by the controls of its type.
    **dict.fromkeys(["cloudtrail/logs-TagResource.json", "cloudtrail/logs-UntagResource.json",
                     "cloudtrail/logs-TagLogGroup.json", "cloudtrail/logs-UntagLogGroup.json"],
                    {(RETENTION, "/legacy/app"), (GROUP_KMS, "/legacy/app")}),
    **dict.fromkeys(["cloudtrail/ec2-CreateTags.json", "cloudtrail/ec2-DeleteTags.json"], VPC_CHANGE),
    "cloudtrail/s3-PutBucketTagging.json": {
        (c, "public-website-assets-123456789012")
        for c in (NOT_PUBLIC, TRAIL_BUCKET_LOGGING, LIFECYCLE, ACCESS_LOGGING, LOG_BUCKET_NOT_PUBLIC, OBJECT_LOCK)
    },
    **dict.fromkeys(["cloudtrail/elasticloadbalancing-AddTags.json", "cloudtrail/elasticloadbalancing-RemoveTags.json"],
                    {(ELB, ALB)}),
    **dict.fromkeys(["cloudtrail/eks-TagResource.json", "cloudtrail/eks-UntagResource.json"],
                    {(EKS, "arn:aws:eks:us-east-1:123456789012:cluster/orders")}),
    **dict.fromkeys(["cloudtrail/wafv2-TagResource.json", "cloudtrail/wafv2-UntagResource.json"],
                    {(WAF, "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/orders-acl/"
                           "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111")}),
    **dict.fromkeys(["cloudtrail/cloudtrail-AddTags.json", "cloudtrail/cloudtrail-RemoveTags.json"],
                    {(VALIDATION, TRAIL_ARN), (TRAIL_KMS, TRAIL_ARN), (TRAIL_CW, TRAIL_ARN),
                     ("cloudtrail_log_integrity_verified", TRAIL_ARN), (QUERYABLE, TRAIL_ARN)}),
    # Logging controls of Security Hub and AWS Config that the parity audit found missing
    "cloudtrail/ec2-CreateVpnConnection.json": {("ec2_vpn_connection_logging_enabled", "vpn-0f1e2d3c4b5a69780")},
    "cloudtrail/ec2-ModifyVpnTunnelOptions.json": {("ec2_vpn_connection_logging_enabled", "vpn-0f1e2d3c4b5a69780")},
    "config/AWS-EC2-VPNConnection.json": {("ec2_vpn_connection_logging_enabled", "vpn-0f1e2d3c4b5a69780")},
    "cloudtrail/ssm-UpdateServiceSetting.json": {("ssm_automation_logging_enabled", None)},
    "cloudtrail/ssm-ResetServiceSetting.json": {("ssm_automation_logging_enabled", None)},
    **dict.fromkeys(["cloudtrail/datasync-CreateTask.json", "cloudtrail/datasync-UpdateTask.json",
                     "config/AWS-DataSync-Task.json"], {("datasync_task_logging_enabled", DATASYNC_TASK)}),
    **dict.fromkeys(["cloudtrail/connect-CreateInstance.json", "config/AWS-Connect-Instance.json"],
                    {(CONNECT, f"arn:aws:connect:us-east-1:123456789012:instance/{CONNECT_INSTANCE}")}),
    "cloudtrail/connect-UpdateInstanceAttribute.json": {(CONNECT, CONNECT_INSTANCE)},
    **dict.fromkeys(["cloudtrail/fsx-CreateFileSystem.json", "cloudtrail/fsx-CreateFileSystemFromBackup.json",
                     "cloudtrail/fsx-UpdateFileSystem.json"],
                    {("fsx_windows_audit_log_configured", "fs-0123456789abcdef0")}),
    # CodeBuild, ECS, Elastic Beanstalk, DMS and Client VPN logging
    **dict.fromkeys(["cloudtrail/codebuild-CreateProject.json", "cloudtrail/codebuild-UpdateProject.json",
                     "config/AWS-CodeBuild-Project.json"],
                    {(CODEBUILD, BUILD_PROJECT), ("codebuild_s3_logs_encrypted", BUILD_PROJECT)}),
    # the revision the call or item names; the control judges that revision's family
    **dict.fromkeys(["cloudtrail/ecs-RegisterTaskDefinition.json", "config/AWS-ECS-TaskDefinition.json"],
                    {(ECS, f"{TASK_DEFINITIONS}:3")}),
    "cloudtrail/ecs-DeregisterTaskDefinition.json": {(ECS, f"{TASK_DEFINITIONS}:2")},
    **dict.fromkeys(["cloudtrail/elasticbeanstalk-CreateEnvironment.json",
                     "cloudtrail/elasticbeanstalk-UpdateEnvironment.json",
                     "config/AWS-ElasticBeanstalk-Environment.json"], {(BEANSTALK, BEANSTALK_ENVIRONMENT)}),
    **dict.fromkeys(["cloudtrail/dms-CreateReplicationTask.json", "cloudtrail/dms-ModifyReplicationTask.json",
                     "config/AWS-DMS-ReplicationTask.json"], {(DMS, REPLICATION_TASK)}),
    **dict.fromkeys(["cloudtrail/ec2-CreateClientVpnEndpoint.json", "cloudtrail/ec2-ModifyClientVpnEndpoint.json",
                     "config/AWS-EC2-ClientVpnEndpoint.json"], {(CLIENT_VPN, "cvpn-endpoint-0a1b2c3d4e5f67890")}),
    # EC2 instances' operating-system logs: an association names no instance, so the region is judged again
    **dict.fromkeys(["cloudtrail/ssm-CreateAssociation.json", "cloudtrail/ssm-CreateAssociationBatch.json",
                     "cloudtrail/ssm-UpdateAssociation.json", "cloudtrail/ssm-DeleteAssociation.json"],
                    {("ec2_instance_logs_to_cloudwatch", None)}),
    # Global Accelerator (us-west-2): the accelerators, and the bucket their flow logs go to
    **dict.fromkeys(["cloudtrail/globalaccelerator-CreateAccelerator.json",
                     "config/AWS-GlobalAccelerator-Accelerator.json"], {(ACCELERATOR, ORDERS_ACCELERATOR)}),
    "cloudtrail/globalaccelerator-UpdateAcceleratorAttributes.json": {
        (ACCELERATOR, ORDERS_ACCELERATOR), (LIFECYCLE, ACCELERATOR_BUCKET), (ACCESS_LOGGING, ACCELERATOR_BUCKET),
        (LOG_BUCKET_NOT_PUBLIC, ACCELERATOR_BUCKET),
    },
    **dict.fromkeys(["cloudtrail/globalaccelerator-CreateCustomRoutingAccelerator.json",
                     "cloudtrail/globalaccelerator-UpdateCustomRoutingAcceleratorAttributes.json"],
                    {(ACCELERATOR, GAME_ACCELERATOR)}),  # flow logs turned off: no bucket named
}  # fmt: skip


def matched(event: dict) -> bool:
    return any(p.matches_event(event) for p in PATTERNS)


def test_every_sample_event_has_an_expectation():
    # real/ holds CloudTrail records of others, with their own test (tests/test_real_events.py)
    samples = {str(p.relative_to(EVENTS)) for p in EVENTS.glob("*/*.json") if p.parent.name != "real"}
    assert samples - {"schedule/scheduled-event.json", "securityhub/custom-action.json"} == set(EXPECTED)


def test_the_custom_action_event_is_matched_and_becomes_an_approved_fix_request():
    from logbaseline.engine.remediation import approved_fix_requests

    event = load_event("securityhub/custom-action.json")
    assert matched(event)
    other = copy.deepcopy(event) | {"resources": ["arn:aws:securityhub:us-east-1:123456789012:action/custom/Other"]}
    assert not matched(other), "only logbaseline's own action target"
    [request] = approved_fix_requests(event)
    assert (request.control_id, request.resource_id, request.approved) == (
        RETENTION,
        f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}",
        True,
    )
    event["detail"]["findings"].append({"ProductFields": {}, "Id": "another product's finding"})
    assert len(approved_fix_requests(event)) == 1
    with pytest.raises(InvalidEvent, match="detail.findings"):
        approved_fix_requests({"detail": {}})


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event_is_matched_by_the_template_and_routed(name):
    event = load_event(name)
    assert matched(event), f"{name} is not matched by any EventBridge rule in template.yaml"
    targets = route(event)
    assert {(t.control.id, t.scope.resource_id) for t in targets} == EXPECTED[name]
    region = "us-west-2" if "globalaccelerator" in name.lower() else "us-east-1"  # where its API is served
    assert event["region"] == region
    assert all((t.scope.account_id, t.scope.region) == ("123456789012", region) for t in targets)


def test_failed_api_call_is_neither_matched_nor_routed():
    event = load_event("cloudtrail/cloudtrail-StopLogging.json")
    event["detail"]["errorCode"] = "AccessDenied"
    assert not matched(event)
    assert route(event) == []


def test_other_event_names_and_types_are_not_matched():
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["detail"]["eventName"] = "DescribeLogGroups"
    assert not matched(event)
    config = load_event("config/AWS-EC2-VPC.json")
    config["detail"]["configurationItem"]["resourceType"] = "AWS::EC2::Subnet"
    assert not matched(config)
    assert not matched(load_event("schedule/scheduled-event.json")), "the schedule goes to the sweeper, not here"


def test_several_vpcs_in_one_create_flow_logs_call_are_each_routed():
    event = load_event("cloudtrail/ec2-CreateFlowLogs.json")
    request = event["detail"]["requestParameters"]["CreateFlowLogsRequest"]
    request["ResourceId"] = [{"tag": 1, "content": "vpc-1"}, {"tag": 2, "content": "vpc-2"}]
    assert {t.scope.resource_id for t in route(event) if t.control.id != CENTRALIZED} == {"vpc-1", "vpc-2"}


def test_flow_log_item_without_configuration_re_evaluates_the_region():
    event = load_event("config/AWS-EC2-FlowLog.json")
    event["detail"]["configurationItem"]["configuration"] = None
    assert {(t.control.id, t.scope.resource_id) for t in route(event)} == {(FLOW_LOGS, None)}


BROKEN = {
    "no detail-type": (lambda e: e.pop("detail-type"), "detail-type is missing"),
    "unknown detail-type": (
        lambda e: e.update({"detail-type": "EC2 Instance State-change Notification"}),
        "unknown detail-type",
    ),
    "detail not an object": (lambda e: e.update({"detail": "x"}), "detail is missing or not an object"),
    "no event name": (lambda e: e["detail"].pop("eventName"), "eventName is missing"),
    "no region": (lambda e: e["detail"].pop("awsRegion"), "awsRegion is missing"),
    "resource id not a string": (
        lambda e: e["detail"]["requestParameters"].update({"logGroupName": 7}),
        "not a string",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_events_are_rejected_with_a_clear_reason(case):
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    mutate, message = BROKEN[case]
    mutate(event)
    with pytest.raises(InvalidEvent, match=message):
        route(event)


def test_config_event_without_item_or_summary_is_rejected():
    event = load_event("config/AWS-EC2-VPC.json")
    del event["detail"]["configurationItem"]
    with pytest.raises(InvalidEvent, match="neither configurationItem nor configurationItemSummary"):
        route(event)


def test_sweep_request_reaches_every_control_or_the_chosen_ones():
    from logbaseline.engine import sweep_event

    assert {t.control.id for t in route(sweep_event("111122223333", "eu-west-1"))} == set(REGISTRY)
    chosen = route(sweep_event("111122223333", "eu-west-1", [RETENTION]))
    assert [(t.control.id, t.scope.account_id, t.scope.region, t.scope.resource_id) for t in chosen] == [
        (RETENTION, "111122223333", "eu-west-1", None)
    ]


def test_only_the_sweeper_can_ask_for_a_sweep():
    """A sweep request names any account and every control: only the sweeper's own source is one."""
    from logbaseline.engine import sweep_event

    forged = sweep_event("111122223333", "eu-west-1") | {"source": "aws.events"}
    with pytest.raises(InvalidEvent, match="unknown detail-type 'logbaseline Sweep Request'"):
        route(forged)
    other_type = sweep_event("111122223333", "eu-west-1") | {"detail-type": "Scheduled Event"}
    with pytest.raises(InvalidEvent, match="unknown detail-type 'Scheduled Event'"):
        route(other_type)


@pytest.mark.parametrize("control_ids", ["logs_log_group_retention_bounded", [7], {"id": RETENTION}])
def test_a_sweep_request_names_its_controls_in_a_list_of_ids(control_ids):
    from logbaseline.engine import sweep_event

    event = sweep_event("111122223333", "eu-west-1")
    event["detail"]["control_ids"] = control_ids
    with pytest.raises(InvalidEvent, match="detail.control_ids must be a list of control ids"):
        route(event)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


# What route() reads of the envelope: detail-type, detail, and account (for a CloudTrail event without
# recipientAccountId). The rest must not change what is judged.
ENVELOPE = ("version", "id", "source", "time", "region", "resources")


def why_invalid(event: dict) -> str:
    with pytest.raises(InvalidEvent) as error:
        route(event)
    return str(error.value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(EXPECTED)), st.sampled_from(["detail-type", "detail", "account", *ENVELOPE]), json_values)
def test_any_json_in_any_field_routes_or_is_rejected_clearly(name, field, value):
    """Each field replaced by any JSON value: the event routes exactly as before, or is refused for that field."""
    original = load_event(name)
    event = copy.deepcopy(original) | {field: value}
    is_config = "configurationItem" in original["detail"] or "configurationItemSummary" in original["detail"]
    if field == "detail-type":
        if value is None or value == "":
            assert why_invalid(event) == "event.detail-type is missing"
        elif not isinstance(value, str):
            assert why_invalid(event).startswith("event.detail-type is not a string: ")
        else:
            assert why_invalid(event) == f"unknown detail-type {value!r}"
    elif field == "detail" and not isinstance(value, dict):
        assert why_invalid(event) == "event.detail is missing or not an object"
    elif field == "detail":  # a random object is neither a configuration item nor an API call's record
        expected = "detail has neither configurationItem nor configurationItemSummary" if is_config else "detail."
        assert why_invalid(event).startswith(expected)
    else:
        assert route(event) == route(original)
    if field == "account" and not is_config:
        # Without recipientAccountId, the account is the envelope's: used as it is, or refused.
        del event["detail"]["recipientAccountId"]
        if value is None or value == "":
            assert why_invalid(event) == "event.account is missing"
        elif not isinstance(value, str):
            assert why_invalid(event).startswith("event.account is not a string: ")
        else:
            try:
                accounts = {t.scope.account_id for t in route(event)}
            except InvalidEvent as error:  # it names a resource by another account's ARN: refused, never routed
                assert str(error).startswith(f"refused: the event of account {value} names "), str(error)
            else:
                assert accounts == {value}


def test_every_trigger_has_a_sample_event():
    samples = [load_event(name) for name in EXPECTED]
    calls = {(e["detail"]["eventSource"], e["detail"]["eventName"]) for e in samples if "eventName" in e["detail"]}
    items = [e["detail"].get("configurationItem") or e["detail"].get("configurationItemSummary") for e in samples]
    config_types = {item["resourceType"] for item in items if item}
    for control in all_controls():
        for trigger in control.cloudtrail_triggers:
            assert {(trigger.event_source, n) for n in trigger.event_names} <= calls, control.id
        for trigger in control.config_triggers:
            assert trigger.resource_type in config_types, control.id


@pytest.mark.parametrize(
    ("request_bucket", "response", "expected"),
    [
        ("new-trail-logs", {"s3BucketName": "new-trail-logs"}, "new-trail-logs"),  # moved to another bucket
        (None, {"s3BucketName": BUCKET}, BUCKET),  # UpdateTrail names the bucket in its request only when it changes
        ("new-trail-logs", None, "new-trail-logs"),  # no response: the request's bucket
        (None, None, None),  # neither names it: every trail bucket of the region
    ],
)
def test_a_trail_change_reaches_the_trail_bucket_controls_for_its_bucket(request_bucket, response, expected):
    event = copy.deepcopy(load_event("cloudtrail/cloudtrail-UpdateTrail.json"))
    detail = event["detail"]
    detail["requestParameters"].pop("s3BucketName", None)
    if request_bucket:
        detail["requestParameters"]["s3BucketName"] = request_bucket
    detail["responseElements"] = response and (detail["responseElements"] | response)
    buckets = {
        (t.control.id, t.scope.resource_id) for t in route(event) if t.control.id in (NOT_PUBLIC, TRAIL_BUCKET_LOGGING)
    }
    assert buckets == {(NOT_PUBLIC, expected), (TRAIL_BUCKET_LOGGING, expected)}


@pytest.mark.parametrize("resource_id", ["subnet-0123456789abcdef0", "eni-0123456789abcdef0", "tgw-0123456789abcdef0"])
def test_a_flow_log_of_another_kind_of_resource_reaches_no_vpc_control(resource_id, caplog):
    config = load_event("config/AWS-EC2-FlowLog.json")
    config["detail"]["configurationItem"]["configuration"]["resourceId"] = resource_id
    call = load_event("cloudtrail/ec2-CreateFlowLogs.json")
    call["detail"]["requestParameters"]["CreateFlowLogsRequest"]["ResourceId"] = {"tag": 1, "content": resource_id}
    with caplog.at_level("INFO", logger="logbaseline.engine.routing"):
        # The account-level centralization control judges every flow log of the account, whatever it logs.
        assert route(config) == [] and [t for t in route(call) if t.control.id != CENTRALIZED] == []
    assert f"{FLOW_LOGS}: ignoring {resource_id}" in caplog.text


FOREIGN = "999988887777"


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("cloudtrail/wafv2-DeleteLoggingConfiguration.json", ACL),
        ("cloudtrail/elasticloadbalancing-ModifyLoadBalancerAttributes.json", ALB),
        ("cloudtrail/eks-CreateCluster.json", CLUSTER_ARN),
        ("config/AWS-WAFv2-WebACL.json", ACL),
        ("config/AWS-CloudTrail-Trail.json", TRAIL_ARN),
        ("cloudtrail/logs-TagResource.json", "arn:aws:logs:us-east-1:123456789012:log-group:/legacy/app"),  # a : in it
    ],
)
def test_an_event_naming_another_accounts_arn_is_refused_never_routed(name, arn):
    """Before, the foreign ARN was routed, and its finding imported into the sender's account."""
    foreign = arn.replace("123456789012", FOREIGN)
    event = json.loads(json.dumps(load_event(name)).replace(arn, foreign))
    assert matched(event)
    with pytest.raises(InvalidEvent, match=f"refused: the event of account 123456789012 names .*{FOREIGN}"):
        route(event)


def test_an_s3_arn_names_no_account_and_is_routed():
    event = load_event("cloudtrail/s3-PutBucketPolicy.json")
    event["detail"]["requestParameters"]["bucketName"] = f"arn:aws:s3:::{BUCKET}"
    assert {t.scope.resource_id for t in route(event)} == {f"arn:aws:s3:::{BUCKET}"}


@pytest.mark.parametrize(
    "name",
    [
        "cloudtrail/cloudtrail-StopLogging.json",
        "cloudtrail/cloudtrail-UpdateTrail.json",
        "config/AWS-CloudTrail-Trail.json",
    ],
)
def test_a_trail_change_re_judges_the_account_level_trail_control_in_every_covered_region(name):
    """A multi-region trail is changed in its home region only; before, only that region's finding was re-judged."""
    regions = ["eu-west-1", "us-east-1", "ap-southeast-2"]
    targets = route(load_event(name), regions)
    account_level_controls = (TRAIL_LOGGING, DUPLICATES, CENTRALIZED, S3_DATA_EVENTS, SECURITY_TRAIL)
    for control_id in account_level_controls:  # the account-level trail controls
        account_level = {t.scope for t in targets if t.control.id == control_id}
        assert {(s.region, s.resource_id) for s in account_level} == {(r, None) for r in regions}
    assert {t.scope.region for t in targets if t.control.id not in account_level_controls} <= {"us-east-1"}
    assert {t.scope.region for t in route(load_event(name)) if t.control.id == TRAIL_LOGGING} == {"us-east-1"}


def test_redshift_audit_logs_to_a_bucket_route_the_bucket_to_the_log_bucket_controls():
    event = load_event("cloudtrail/redshift-EnableLogging.json")
    assert {(t.control.id, t.scope.resource_id) for t in route(event)} == {(REDSHIFT, "orders-dw")}  # CloudWatch Logs
    event["detail"]["requestParameters"] = {"clusterIdentifier": "orders-dw", "bucketName": "redshift-audit"}
    assert {(t.control.id, t.scope.resource_id) for t in route(event)} == {
        (REDSHIFT, "orders-dw"),
        *((c, "redshift-audit") for c in (LIFECYCLE, ACCESS_LOGGING, LOG_BUCKET_NOT_PUBLIC)),
    }


def test_waf_logging_to_a_bucket_routes_the_bucket_to_the_log_bucket_controls():
    event = load_event("cloudtrail/wafv2-PutLoggingConfiguration.json")
    assert {(t.control.id, t.scope.resource_id) for t in route(event)} == {(WAF, ACL)}  # to a log group
    event["detail"]["requestParameters"]["loggingConfiguration"]["logDestinationConfigs"] = [
        "arn:aws:s3:::aws-waf-logs-orders"
    ]
    assert {(t.control.id, t.scope.resource_id) for t in route(event)} == {
        (WAF, ACL),
        (LIFECYCLE, "arn:aws:s3:::aws-waf-logs-orders"),
        (ACCESS_LOGGING, "arn:aws:s3:::aws-waf-logs-orders"),
        (LOG_BUCKET_NOT_PUBLIC, "arn:aws:s3:::aws-waf-logs-orders"),
    }


def test_msk_broker_logs_and_codebuild_logs_to_a_bucket_route_the_bucket_to_the_log_bucket_controls():
    bucket_controls = (LIFECYCLE, ACCESS_LOGGING, LOG_BUCKET_NOT_PUBLIC)
    for name, set_bucket in (
        ("cloudtrail/kafka-UpdateMonitoring.json", lambda p: p["loggingInfo"]["brokerLogs"].update(
            s3={"enabled": True, "bucket": "msk-logs", "prefix": "orders"})),
        ("cloudtrail/kafka-CreateClusterV2.json", lambda p: p["provisioned"].update(
            loggingInfo={"brokerLogs": {"s3": {"enabled": True, "bucket": "msk-logs"}}})),
        ("cloudtrail/kafka-CreateCluster.json", lambda p: p.update(
            loggingInfo={"brokerLogs": {"s3": {"enabled": True, "bucket": "msk-logs"}}})),
        ("cloudtrail/codebuild-UpdateProject.json", lambda p: p["logsConfig"].update(
            s3Logs={"status": "ENABLED", "location": "msk-logs/builds"})),
        ("cloudtrail/codebuild-CreateProject.json", lambda p: p["logsConfig"].update(
            s3Logs={"status": "ENABLED", "location": "arn:aws:s3:::msk-logs/builds"})),
    ):  # fmt: skip
        event = load_event(name)
        before = {(t.control.id, t.scope.resource_id) for t in route(event)}
        assert not {control for control, _ in before} & set(bucket_controls), name  # S3 logs off: no bucket
        set_bucket(event["detail"]["requestParameters"])
        added = {(t.control.id, t.scope.resource_id) for t in route(event)} - before
        assert {control for control, _ in added} == set(bucket_controls), name
        assert {bucket_name(resource_id) for _, resource_id in added} == {"msk-logs"}, name


def test_a_resource_the_event_changed_archives_its_finding_when_not_found_and_a_log_destination_does_not():
    """Not finding a resource the call changed means it is gone; not finding a log bucket the call names may only
    mean it is another account's (a central log archive)."""
    trail_call = route(load_event("cloudtrail/cloudtrail-CreateTrail.json"))
    bucket_controls = {LIFECYCLE, ACCESS_LOGGING, LOG_BUCKET_NOT_PUBLIC}  # the S3 log-bucket controls
    assert {t.archive_missing for t in trail_call if t.control.id in bucket_controls} == {False}
    assert {t.archive_missing for t in trail_call if t.control.id not in bucket_controls} == {True}
    assert {t.archive_missing for t in route(load_event("cloudtrail/logs-TagResource.json"))} == {True}


def test_only_a_successful_cloudtrail_call_records_the_exemption_tags_it_set():
    tagged = load_event("cloudtrail/logs-TagResource.json")
    [call] = exemption_tags_set(tagged)
    assert call.value.startswith("logs_log_group_retention_bounded until=2027-02-26")
    failed = copy.deepcopy(tagged)
    failed["detail"]["errorCode"] = "AccessDeniedException"
    assert exemption_tags_set(failed) == [], "a refused call set no tag"
    assert exemption_tags_set(load_event("config/AWS-EC2-VPC.json")) == [], "not a CloudTrail call"


def test_a_refusal_names_at_most_the_first_200_characters_of_a_foreign_arn():
    """One line, however long the ARN a caller put in the event."""
    foreign = f"arn:aws:logs:us-east-1:{FOREIGN}:log-group:/" + "x" * 300
    event = load_event("cloudtrail/logs-TagResource.json")
    event["detail"]["requestParameters"]["resourceArn"] = foreign
    with pytest.raises(InvalidEvent) as refused:
        route(event)
    assert f"names {foreign[:200]}, a resource of account {FOREIGN}" in str(refused.value)
