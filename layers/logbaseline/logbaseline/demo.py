"""`logbaseline demo`: seed an emulated account with logging gaps, and watch them close.

Events in AWS's real shapes (events/) go through the template's own EventBridge
patterns to the evaluator; fixes go to the remediator; findings land in Security Hub.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.emulator import REGION, moto_server, reset
from logbaseline.engine import AccountClients, scan
from logbaseline.engine.settings import MODES_VARIABLE, Settings
from logbaseline.local import LocalStack
from logbaseline.models import Mode

SAMPLE_ACCOUNT, SAMPLE_VPC = "123456789012", "vpc-0a1b2c3d4e5f67890"
SAMPLE_ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders-alb/50dc6c495c0c9188"
SAMPLE_WEB_ACL = (
    "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/orders-web-acl/a1b2c3d4-5678-40ab-9def-0123456789ab"
)
SAMPLE_LAKE_STORE_ID = "EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"  # events/cloudtrail/cloudtrail-*EventDataStore.json
SAMPLE_REST_API, SAMPLE_HTTP_API = "h2k8w4n6q1", "k7m2p9q4r1"  # the API Gateway samples' API ids
SAMPLE_DISTRIBUTION = "E2QWRUHEXAMPLE"  # the CloudFront samples' distribution
SAMPLE_ZONE = "Z0312345EXAMPLEQRS"  # the Route 53 samples' public hosted zone
SAMPLE_GRAPHQL_API = "q7w3e5r2t8y4u6i9o1p0a2s4d6"  # the AppSync samples' GraphQL API
SAMPLE_BROKER_ID = "b-3f2a7c1e-9d4b-4e6a-8c5f-1a2b3c4d5e6f"  # the Amazon MQ samples' broker
SAMPLE_BROKER_ARN = f"arn:aws:mq:us-east-1:123456789012:broker:orders-mq:{SAMPLE_BROKER_ID}"
SAMPLE_KAFKA_CLUSTER = (  # the MSK samples' cluster
    "arn:aws:kafka:us-east-1:123456789012:cluster/orders-kafka/5a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d-2"
)
SAMPLE_TRANSFER_CONNECTOR = "c-4a6c8e0a2c4e6a8c0"  # the Transfer Family samples' connector
SAMPLE_TRANSFER_SERVER = "s-2b4d6f8a0c2e4a6b8"  # and server
SAMPLE_NAMESPACE = "3c5e7a9b-1d2f-4a4b-8c6d-8e0f2a4b6c8d"  # the Redshift Serverless samples' namespace id
SAMPLE_KAFKA_CONNECTOR = (  # the MSK Connect samples' connector
    "arn:aws:kafkaconnect:us-east-1:123456789012:connector/orders-sink/6d8f0b2c-4e5a-4c7b-9d9f-1b3d5f7a9c0e-3"
)
SAMPLE_VPN_CONNECTION = "vpn-0f1e2d3c4b5a69780"  # the Site-to-Site VPN samples' connection
SAMPLE_DATASYNC_TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0a1b2c3d4e5f60718"  # the DataSync samples'
SAMPLE_CONNECT_INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"  # the Amazon Connect samples' instance
SAMPLE_FILE_SYSTEM = "fs-0123456789abcdef0"  # the FSx samples' Windows file system
FLOW_LOG_GROUP = "/logbaseline/vpc-flow-logs"
TRAIL_LOG_GROUP = "aws-cloudtrail-logs-management-events"
ALL_AUTO = ",".join(f"{control_id}=auto" for control_id in REGISTRY)
# Fixes the emulator cannot show verified although AWS would: a FAILED result after such a fix is the
# emulator's, not the service's (docs/emulator-gaps.md has the row).
EMULATOR_GAPS = {
    "s3_log_bucket_lifecycle_bounded": "moto's GetBucketLifecycleConfiguration always answers "
    "TransitionDefaultMinimumObjectSize all_storage_classes_128K, whatever the fix set",
}
UNVERIFIED = "applied, not verified"
# Controls whose gap the emulator cannot seed: it lacks the read they judge by (docs/emulator-gaps.md has the row);
# their tests use a double held to botocore's service model instead.
NOT_SEEDED = {
    "elastic_beanstalk_logs_to_cloudwatch": "moto has no elasticbeanstalk DescribeConfigurationSettings",
    "ec2_client_vpn_connection_logging_enabled": "moto has no Client VPN endpoints",
    # Its double (emulation/globalaccelerator.py) holds accelerators, but they are judged in us-west-2 only, where
    # Global Accelerator's API is served: the demo covers one region, REGION.
    "globalaccelerator_flow_logs_enabled": "accelerators are judged in us-west-2, and the demo covers us-east-1",
}


@dataclass
class DemoResult:
    before: list[dict[str, str]]
    after: list[dict[str, str]]
    findings: list[dict[str, Any]]
    events_sent: int
    evaluations: int
    fixes: int
    dead_lettered: int
    # (control id, resource id) -> why a result left FAILED is the emulator's: its fix was applied, and
    # the emulator's answer cannot show it (EMULATOR_GAPS).
    emulator_gaps: dict[tuple[str, str], str]


@dataclass
class SeededAccount:
    renames: dict[str, str]  # sample event id -> the emulator's id for the same resource
    environment: dict[str, str]  # the baseline's settings: every fix in auto, every destination configured


def seed_build_and_migration_gaps(clients: Clients, account: str) -> None:
    """CodeBuild, ECS and DMS resources that log nothing."""
    clients("codebuild").create_project(  # CloudWatch Logs and S3 logs both DISABLED
        name="orders-build",
        source={"type": "S3", "location": "orders-artifacts/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=f"arn:aws:iam::{account}:role/orders-build",
        logsConfig={"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "DISABLED"}},
    )
    clients("codebuild").create_project(  # build logs to S3 with their encryption turned off
        name="reports-build",
        source={"type": "S3", "location": "orders-artifacts/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=f"arn:aws:iam::{account}:role/reports-build",
        logsConfig={
            "s3Logs": {"status": "ENABLED", "location": f"build-logs-{account}/reports", "encryptionDisabled": True}
        },
    )
    clients("ecs").register_task_definition(  # a container with no logConfiguration
        family="orders-api",
        containerDefinitions=[{"name": "api", "image": "public.ecr.aws/nginx/nginx:1.27", "memory": 512}],
    )
    clients("dms").create_replication_task(  # DMS's default settings: task logging off
        ReplicationTaskIdentifier="orders-migration",
        SourceEndpointArn=f"arn:aws:dms:{REGION}:{account}:endpoint:orders-source",
        TargetEndpointArn=f"arn:aws:dms:{REGION}:{account}:endpoint:orders-target",
        ReplicationInstanceArn=f"arn:aws:dms:{REGION}:{account}:rep:orders-replication",
        MigrationType="full-load-and-cdc",
        TableMappings=json.dumps({"rules": []}),
    )


def seed_gaps(clients: Clients) -> SeededAccount:
    """An account with at least one gap for every control, and one log group a person must decide about."""
    account = clients("sts").get_caller_identity()["Account"]
    logs = clients("logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders-api")  # never expires, no KMS key
    logs.create_log_group(logGroupName="/aws/lambda/payments-api")
    logs.put_retention_policy(logGroupName="/aws/lambda/payments-api", retentionInDays=30)  # below the floor
    logs.create_log_group(logGroupName="/aws/lambda/audit-archive")
    logs.put_retention_policy(logGroupName="/aws/lambda/audit-archive", retentionInDays=3653)  # above the ceiling
    logs.create_log_group(logGroupName="/aws/lambda/reporting")
    logs.put_retention_policy(logGroupName="/aws/lambda/reporting", retentionInDays=400)  # within bounds
    # Route 53 may write query logs from any account (no aws:SourceAccount condition): left to a person.
    route53 = {"Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"}, "Action": "logs:PutLogEvents"}
    route53["Resource"] = f"arn:aws:logs:{REGION}:{account}:log-group:/aws/route53/*"
    logs.put_resource_policy(
        policyName="route53-query-logging", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [route53]})
    )

    ec2 = clients("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]  # no flow log, no DNS query logging
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]
        for i, zone in enumerate("ab")
    ]

    s3 = clients("s3")
    trail_bucket, access_logs, elb_logs, dns_logs = (
        f"{name}-{account}" for name in ("org-cloudtrail-logs", "access-logs", "elb-logs", "dns-query-logs")
    )
    for bucket in (trail_bucket, access_logs, elb_logs, dns_logs):
        s3.create_bucket(Bucket=bucket)  # no Block Public Access, no lifecycle, no access logging
    delivery = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
    delivery["Resource"] = f"arn:aws:s3:::{access_logs}/*"
    delivery["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}  # AWS's own example holds it so
    s3.put_bucket_policy(Bucket=access_logs, Policy=json.dumps({"Version": "2012-10-17", "Statement": [delivery]}))
    # The trail's logs are readable by an account outside the organization: left to a person.
    partner = {
        "Sid": "PartnerReadsTrailLogs",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
    }
    partner |= {"Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{trail_bucket}/*"}
    s3.put_bucket_policy(Bucket=trail_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [partner]}))

    cloudtrail = clients("cloudtrail")
    # Multi-region, stopped (as after a StopLogging), no validation, no KMS key; its log group has none of the
    # CIS monitoring filters and alarms, and the emulator never reports a delivery to it.
    logs.create_log_group(logGroupName=TRAIL_LOG_GROUP)
    trail_group = logs.describe_log_groups(logGroupNamePrefix=TRAIL_LOG_GROUP)["logGroups"][0]["arn"]
    trail_role = clients("iam").create_role(RoleName="cloudtrail-to-logs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cloudtrail.create_trail(
        Name="management-events",
        S3BucketName=trail_bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=False,
        CloudWatchLogsLogGroupArn=trail_group,
        CloudWatchLogsRoleArn=trail_role,
    )
    # Security Hub is on in the emulator's account, which has no Security Hub administrator: securityhub_enabled's gap.
    alarms = clients("sns").create_topic(Name="security-alarms")["TopicArn"]
    alarm_inbox = clients("sqs").create_queue(QueueName="security-alarms")["QueueUrl"]
    inbox_arn = clients("sqs").get_queue_attributes(QueueUrl=alarm_inbox, AttributeNames=["QueueArn"])
    clients("sns").subscribe(TopicArn=alarms, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    # A regional trail of the same bucket, with validation on: no log group, no Athena table, no CloudTrail Lake
    # event data store, so nothing can query its events (cloudtrail_logs_queryable's gap).
    cloudtrail.create_trail(Name="regional-audit", S3BucketName=trail_bucket, EnableLogFileValidation=True)
    # AWS gives a new trail this selector by default; moto leaves it empty (docs/emulator-gaps.md).
    cloudtrail.put_event_selectors(
        TrailName="management-events", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    # No trail records S3 data events (cloudtrail_s3_data_events_recorded's gap, left to a person: they are charged);
    # the multi-region trail lacks validation and a KMS key, so no one trail meets every practice
    # (cloudtrail_security_trail_enabled's gap, closed by the validation and KMS fixes of that trail).
    seed_tampered_trail(clients, account, trail_bucket)
    # A CloudTrail Lake event data store keeping 90 days, unprotected (emulation/lake.py: moto has none).
    lake_store = cloudtrail.create_event_data_store(
        Name="org-audit-store", RetentionPeriod=90, TerminationProtectionEnabled=False
    )["EventDataStoreArn"]
    # Two single-region copies of this region's management events, logging: each copy after the first is charged.
    for copy in ("audit-copy", "team-copy"):
        cloudtrail.create_trail(Name=copy, S3BucketName=trail_bucket, EnableLogFileValidation=True)
        cloudtrail.put_event_selectors(
            TrailName=copy, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
        )
        cloudtrail.start_logging(Name=copy)
    key_arn = clients("kms").create_key(Description="logbaseline demo: log encryption")["KeyMetadata"]["Arn"]

    clients("eks").create_cluster(
        name="orders-prod",  # no control-plane logging
        roleArn=f"arn:aws:iam::{account}:role/eks-cluster-role",
        resourcesVpcConfig={"subnetIds": [s["SubnetId"] for s in subnets]},
    )
    config = clients("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account}:role/aws-config-role",
            "recordingGroup": {"allSupported": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": trail_bucket})  # never started
    clients("guardduty").create_detector(Enable=False)

    alb = clients("elbv2").create_load_balancer(Name="orders-alb", Subnets=[s["SubnetId"] for s in subnets])
    clients("elb").create_load_balancer(
        LoadBalancerName="legacy-web",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=[f"{REGION}a"],
    )
    web_acl = clients("wafv2").create_web_acl(
        Name="orders-web-acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "orders"},
    )
    rest_api, http_api = seed_api_stages(clients, account)
    distribution = seed_distribution(clients, account)
    seed_databases(clients)
    zone = clients("route53").create_hosted_zone(Name="orders.example.com", CallerReference="logbaseline-demo")
    clients("opensearch").create_domain(DomainName="orders-search")  # no error or audit logs published
    clients("redshift").create_cluster(  # audit logging off
        ClusterIdentifier="orders-dw",
        NodeType="ra3.xlplus",
        ClusterType="single-node",
        MasterUsername="admin",
        MasterUserPassword="LogbaselineDemo1",
    )
    clients("network-firewall").create_firewall(  # no flow or alert logs
        FirewallName="edge-firewall",
        FirewallPolicyArn=f"arn:aws:network-firewall:{REGION}:{account}:firewall-policy/edge-policy",
        VpcId=vpc_id,
        SubnetMappings=[{"SubnetId": subnets[0]["SubnetId"]}],
    )
    clients("stepfunctions").create_state_machine(  # logging OFF, the default
        name="orders-flow",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{account}:role/orders-flow",
    )
    clients("glue").create_job(  # a Spark job without continuous logging, the default
        Name="orders-etl",
        Role=f"arn:aws:iam::{account}:role/orders-etl",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://orders-etl-scripts-{account}/orders_etl.py"},
        GlueVersion="4.0",
    )
    clients("fis").create_experiment_template(  # no log configuration, the default
        clientToken="logbaseline-demo",
        description="Stop one orders instance",
        stopConditions=[{"source": "none"}],
        targets={
            "orders": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "orders"}, "selectionMode": "ALL"}
        },
        actions={"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "orders"}}},
        roleArn=f"arn:aws:iam::{account}:role/fis-experiments",
    )
    # Amazon Security Lake (emulation/securitylake.py: moto has none): a lake expiring data after 90 days that
    # collects CloudTrail management events only, no flow or query logs (securitylake_sources_enabled's gap).
    security_lake = clients("securitylake")
    security_lake.create_data_lake(
        configurations=[{"region": REGION, "lifecycleConfiguration": {"expiration": {"days": 90}}}],
        metaStoreManagerRoleArn=f"arn:aws:iam::{account}:role/AmazonSecurityLakeMetaStoreManagerV2",
    )
    security_lake.create_aws_log_source(
        sources=[{"regions": [REGION], "sourceName": "CLOUD_TRAIL_MGMT", "sourceVersion": "2.0"}]
    )
    graphql_api = clients("appsync").create_graphql_api(name="orders-graph", authenticationType="API_KEY")  # no logs
    broker = clients("mq").create_broker(  # ActiveMQ, no audit log
        BrokerName="orders-mq",
        EngineType="ACTIVEMQ",
        EngineVersion="5.18",
        HostInstanceType="mq.t3.micro",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        AutoMinorVersionUpgrade=True,
        Users=[{"Username": "admin", "Password": "LogbaselineDemo1"}],
    )
    kafka = clients("kafka").create_cluster(  # no broker logs
        ClusterName="orders-kafka",
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={"InstanceType": "kafka.m5.large", "ClientSubnets": [s["SubnetId"] for s in subnets]},
    )
    connector = clients("transfer").create_connector(  # no logging role
        Url="sftp://files.partner.example.com",
        AccessRole=f"arn:aws:iam::{account}:role/transfer-access",
        SftpConfig={"UserSecretId": f"arn:aws:secretsmanager:{REGION}:{account}:secret:partner-sftp"},
    )
    sftp = clients("transfer").create_server()  # SFTP, no logging role or log destination
    # No log exports (emulation/redshift_serverless.py: moto has no Redshift Serverless).
    namespace = clients("redshift-serverless").create_namespace(namespaceName="analytics")["namespace"]
    sink = seed_kafka_connector(clients, account)
    vpn = seed_vpn_connection(clients)  # neither tunnel logs (moto keeps no tunnel options at all)
    # Automation's script output goes nowhere: the account's default (emulation/ssm_settings.py), left as it is.
    datasync_task = seed_datasync_task(clients, account, trail_bucket)  # LogLevel OFF
    contact_center = clients("connect").create_instance(  # flow logs off, a new instance's default
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias="orders-contact",
        InboundCallsEnabled=True,
        OutboundCallsEnabled=False,
    )["Id"]
    file_system = clients("fsx").create_file_system(  # file access auditing off, the default
        FileSystemType="WINDOWS",
        StorageCapacity=32,
        SubnetIds=[subnets[0]["SubnetId"]],
        WindowsConfiguration={"ActiveDirectoryId": "d-90670a1b2c", "ThroughputCapacity": 32},
    )["FileSystem"]["FileSystemId"]
    seed_build_and_migration_gaps(clients, account)
    seed_instance_log_agent(clients, subnets[0]["SubnetId"])
    return SeededAccount(
        renames={
            SAMPLE_VPC: vpc_id,
            SAMPLE_ALB: alb["LoadBalancers"][0]["LoadBalancerArn"],
            SAMPLE_WEB_ACL: web_acl["Summary"]["ARN"],
            SAMPLE_LAKE_STORE_ID: lake_store.rsplit("/", 1)[-1],
            SAMPLE_REST_API: rest_api,
            SAMPLE_HTTP_API: http_api,
            SAMPLE_DISTRIBUTION: distribution,
            SAMPLE_ZONE: zone["HostedZone"]["Id"].rsplit("/", 1)[-1],  # public, no query logging
            SAMPLE_GRAPHQL_API: graphql_api["graphqlApi"]["apiId"],
            SAMPLE_BROKER_ARN: broker["BrokerArn"],  # before the id, which the ARN holds
            SAMPLE_BROKER_ID: broker["BrokerId"],
            SAMPLE_KAFKA_CLUSTER: kafka["ClusterArn"],
            SAMPLE_TRANSFER_CONNECTOR: connector["ConnectorId"],
            SAMPLE_TRANSFER_SERVER: sftp["ServerId"],
            SAMPLE_NAMESPACE: namespace["namespaceId"],
            SAMPLE_KAFKA_CONNECTOR: sink,
            SAMPLE_VPN_CONNECTION: vpn,
            SAMPLE_DATASYNC_TASK: datasync_task,
            SAMPLE_CONNECT_INSTANCE: contact_center,
            SAMPLE_FILE_SYSTEM: file_system,
        },
        environment={
            "LOGBASELINE_REMEDIATION_MODES": ALL_AUTO,
            "LOGBASELINE_FLOW_LOG_DESTINATION": FLOW_LOG_GROUP,
            "LOGBASELINE_CLOUDTRAIL_KMS_KEY_ARN": key_arn,
            "LOGBASELINE_LOG_GROUP_KMS_KEY_ARN": key_arn,
            "LOGBASELINE_QUERY_LOG_DESTINATION_ARN": f"arn:aws:s3:::{dns_logs}",
            "LOGBASELINE_ELB_ACCESS_LOG_BUCKET": elb_logs,
            "LOGBASELINE_ACCESS_LOG_BUCKET": access_logs,
            # A log archive account elsewhere (AWS's documentation example id): this account's logs stay local.
            "LOGBASELINE_LOG_ARCHIVE_ACCOUNT_ID": "111122223333",
            "LOGBASELINE_SECURITY_ALARM_TOPIC_ARN": alarms,
            # Security Lake is used, from this account; the trail bucket must lock its logs (it has no Object Lock:
            # cloudtrail_bucket_object_lock's gap).
            "LOGBASELINE_SECURITY_LAKE_ACCOUNT_ID": account,
            "LOGBASELINE_TRAIL_BUCKET_OBJECT_LOCK": "GOVERNANCE",
        },
    )


def seed_instance_log_agent(clients: Clients, subnet: str) -> str:
    """An instance Systems Manager manages (it has an instance profile: emulation/ssm_associations.py) whose
    CloudWatch agent runs the default configuration, as Quick Setup applies it: metrics, no logs. Returns its id."""
    clients("iam").create_instance_profile(InstanceProfileName="orders-ssm-managed")
    ec2 = clients("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    [instance] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet, IamInstanceProfile={"Name": "orders-ssm-managed"}
    )["Instances"]
    clients("ssm").create_association(
        Name="AmazonCloudWatch-ManageAgent",
        AssociationName="cloudwatch-agent-default",
        Targets=[{"Key": "InstanceIds", "Values": [instance["InstanceId"]]}],
        Parameters={"action": ["configure"], "optionalConfigurationSource": ["default"]},
    )
    return instance["InstanceId"]


def seed_kafka_connector(clients: Clients, account: str) -> str:
    """An MSK Connect connector without log delivery (emulation/kafkaconnect.py: moto has no MSK Connect)."""
    plugin = f"arn:aws:kafkaconnect:{REGION}:{account}:custom-plugin/s3/1"
    return clients("kafkaconnect").create_connector(
        connectorName="orders-sink",
        capacity={"provisionedCapacity": {"mcuCount": 1, "workerCount": 1}},
        connectorConfiguration={"connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1"},
        kafkaCluster={"apacheKafkaCluster": {"bootstrapServers": "b-1.orders:9098", "vpc": {"subnets": ["subnet-0a"]}}},
        kafkaClusterClientAuthentication={"authenticationType": "IAM"},
        kafkaClusterEncryptionInTransit={"encryptionType": "TLS"},
        kafkaConnectVersion="2.7.1",
        plugins=[{"customPlugin": {"customPluginArn": plugin, "revision": 1}}],
        serviceExecutionRoleArn=f"arn:aws:iam::{account}:role/msk-connect",
    )["connectorArn"]


def seed_vpn_connection(clients: Clients) -> str:
    """A Site-to-Site VPN connection between a customer gateway and a virtual private gateway. Returns its id."""
    ec2 = clients("ec2")
    customer = ec2.create_customer_gateway(BgpAsn=65000, PublicIp="198.51.100.7", Type="ipsec.1")["CustomerGateway"]
    gateway = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    connection = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=customer["CustomerGatewayId"], VpnGatewayId=gateway["VpnGatewayId"]
    )
    return connection["VpnConnection"]["VpnConnectionId"]


def seed_datasync_task(clients: Clients, account: str, trail_bucket: str) -> str:
    """A DataSync task copying the trail's bucket to an archive bucket, publishing no logs. Returns its ARN."""
    archive = f"trail-archive-{account}"
    clients("s3").create_bucket(Bucket=archive)
    datasync = clients("datasync")
    role = {"BucketAccessRoleArn": f"arn:aws:iam::{account}:role/datasync-trail-archive"}
    source, destination = (
        datasync.create_location_s3(S3BucketArn=f"arn:aws:s3:::{bucket}", S3Config=role)["LocationArn"]
        for bucket in (trail_bucket, archive)
    )
    task = datasync.create_task(
        SourceLocationArn=source, DestinationLocationArn=destination, Name="trail-archive", Options={"LogLevel": "OFF"}
    )
    return task["TaskArn"]


def seed_tampered_trail(clients: Clients, account: str, bucket: str) -> None:
    """A trail that validates, whose bucket holds two signed hours of logs, one log file deleted since delivery:
    the digest verifier names it (and no fix can bring it back)."""
    from logbaseline import emulator
    from logbaseline.emulation.trail_digests import TrailDelivery

    clients("cloudtrail").create_trail(Name="audit-events", S3BucketName=bucket, EnableLogFileValidation=True)
    if emulator.GATEWAY is None:
        raise RuntimeError("the tampered trail's digests are signed with the emulator's key: run inside moto_server()")
    key = emulator.GATEWAY.signing_keys.private_key(REGION)
    delivery = TrailDelivery(clients("s3"), key, account, REGION, "audit-events", bucket)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for back in (2, 1):
        delivery.deliver_hour(hour - timedelta(hours=back))
    clients("s3").delete_object(Bucket=bucket, Key=delivery.logs[delivery.digests[0]][0])


def seed_api_stages(clients: Clients, account: str) -> tuple[str, str]:
    """A REST API stage that logs no executions and no access, and an HTTP API stage without access logs; the
    account's API Gateway CloudWatch Logs role is set, as execution logging requires. Returns the two API ids."""
    apigateway = clients("apigateway")
    apigateway.update_account(
        patchOperations=[
            {"op": "replace", "path": "/cloudwatchRoleArn", "value": f"arn:aws:iam::{account}:role/apigateway-logs"}
        ]
    )
    rest_api = apigateway.create_rest_api(name="orders-api")["id"]
    root = apigateway.get_resources(restApiId=rest_api)["items"][0]["id"]
    apigateway.put_method(restApiId=rest_api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=rest_api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=rest_api, stageName="prod")
    apigatewayv2 = clients("apigatewayv2")
    http_api = apigatewayv2.create_api(Name="payments-api", ProtocolType="HTTP")["ApiId"]
    apigatewayv2.create_stage(ApiId=http_api, StageName="prod")
    return rest_api, http_api


def seed_distribution(clients: Clients, account: str) -> str:
    """A CloudFront distribution with no standard or real-time logging. Returns its id."""
    origin = {"Id": "orders-web", "DomainName": f"orders-web-{account}.s3.amazonaws.com"}
    behavior = {"TargetOriginId": "orders-web", "ViewerProtocolPolicy": "redirect-to-https", "MinTTL": 0}
    behavior |= {"ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}}
    config = {
        "CallerReference": "logbaseline-demo",
        "Comment": "orders web",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin | {"S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": behavior | {"TrustedSigners": {"Enabled": False, "Quantity": 0}},
    }
    return clients("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def seed_databases(clients: Clients) -> None:
    """A MySQL instance that exports only its error log, and an Aurora MySQL cluster that exports nothing."""
    rds = clients("rds")
    login = {"MasterUsername": "admin", "MasterUserPassword": "logbaseline-demo-only"}
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        EnableCloudwatchLogsExports=["error"],
        **login,
    )
    rds.create_db_cluster(DBClusterIdentifier="orders-aurora", Engine="aurora-mysql", **login)


def sample_events(events_dir: Path, account_id: str, replacements: dict[str, str]) -> list[dict[str, Any]]:
    """The sample events, renamed to the seeded resources (moto picks VPC ids at random)."""
    events = []
    for path in sorted((events_dir / "cloudtrail").glob("*.json")) + sorted((events_dir / "config").glob("*.json")):
        text = path.read_text().replace(SAMPLE_ACCOUNT, account_id)
        for old, new in replacements.items():
            text = text.replace(old, new)
        events.append(json.loads(text))
    return events


def describe_settings(environment: dict[str, str]) -> list[str]:
    """What the demo runs with, said before it runs: a deployment starts from each control's default mode
    and from empty destinations, and its results differ accordingly."""
    settings = Settings.from_env(environment)
    fixable = [c for c in all_controls() if c.remediate]
    held = [f"{c.id} ({c.default_mode.value})" for c in fixable if c.default_mode is not Mode.AUTO]
    auto = [c for c in fixable if settings.mode(c) is Mode.AUTO]
    lines = [
        f"modes: {len(auto)} of the {len(fixable)} controls with a fix in auto ({MODES_VARIABLE}); a deployment's "
        f"defaults keep {len(held)} of them out of auto: {', '.join(held)}",
        "destinations and keys (a deployment sets them as stack parameters; empty, those fixes cannot run):",
    ]
    parameters = {p.variable: p for c in all_controls() for p in c.parameters}
    for name, value in environment.items():
        if name in parameters:
            lines.append(f"  {name}={value} ({parameters[name].stack_name})")
    return lines


def unverified_by_the_emulator(clients: Clients, table: str, after: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    """The results left FAILED whose latest fix, in the audit trail, was applied and could not be verified,
    for a control whose verification the emulator cannot give (EMULATOR_GAPS)."""
    latest: dict[tuple[str, str], str] = {}
    for item in sorted(clients.resource("dynamodb").Table(table).scan()["Items"], key=lambda i: i["at"]):
        latest[(item["control_id"], item["resource_id"])] = item["outcome"]
    return {
        (r["control_id"], r["resource_id"]): EMULATOR_GAPS[r["control_id"]]
        for r in after
        if r["status"] == "FAILED"
        and r["control_id"] in EMULATOR_GAPS
        and latest.get((r["control_id"], r["resource_id"])) == UNVERIFIED
    }


def run(root: Path, say: Callable[[str], None] = print) -> DemoResult:
    with moto_server() as endpoint:
        reset(endpoint)  # moto's state is per process: start from an empty account even when embedded
        say(f"AWS emulator (moto) at {endpoint}, region {REGION}")
        for control_id, why in NOT_SEEDED.items():
            say(f"no gap seeded for {control_id}: {why}")
        clients = Clients(REGION)
        seeded = seed_gaps(clients)
        stack = LocalStack(root, REGION, seeded.environment)
        for line in describe_settings(stack.environment):  # what the functions run with, the stack's own too
            say(line)
        settings = Settings.from_env(stack.environment)
        account = AccountClients(stack.account_id)

        def compliance() -> list[dict[str, str]]:
            return [o.as_row() for o in scan(account, stack.account_id, [REGION], settings=settings)]

        before = compliance()
        events = sample_events(root / "events", stack.account_id, seeded.renames)
        sent = stack.put_events(events)
        say(f"sent {sent} sample events through the template's EventBridge rules")
        evaluated = stack.drain("EvaluationQueue", "evaluator")
        fixed = stack.drain("FixQueue", "remediator")
        say(f"evaluator: {evaluated.delivered} messages; remediator: {fixed.delivered} fix requests")
        stack.invoke("sweeper", json.loads((root / "events/schedule/scheduled-event.json").read_text()))
        swept = stack.drain("EvaluationQueue", "evaluator")
        swept_fixes = stack.drain("FixQueue", "remediator")
        say(f"drift sweep: {swept.delivered} evaluation requests, {swept_fixes.delivered} fix requests")
        after = compliance()
        dead = stack.queue_depth("EvaluationDeadLetterQueue") + stack.queue_depth("FixDeadLetterQueue")
        return DemoResult(
            before,
            after,
            stack.findings(),
            sent,
            evaluated.delivered + swept.delivered,
            fixed.delivered + swept_fixes.delivered,
            dead,
            unverified_by_the_emulator(clients, stack.tables["HistoryTable"], after),
        )
