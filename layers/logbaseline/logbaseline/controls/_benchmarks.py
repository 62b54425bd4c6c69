"""The CIS AWS Foundations Benchmark recommendations the controls hold, with the benchmark's version: the
numbers moved between versions (v1.4.0's 3.5 is AWS Config, v3.0.0's 3.5 is CloudTrail's KMS key), so a
number is never written without its version.

Sources: the recommendations' numbers and titles are those of the benchmarks' section 3 "Logging"; the
Security Hub control of each is the one whose "Related requirements" name it in the Security Hub user
guide (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html, config-controls.html,
ec2-controls.html). Requirements are spelled as Security Hub spells them in Compliance.RelatedRequirements:
"CIS AWS Foundations Benchmark v3.0.0/3.4".
"""

from __future__ import annotations

BENCHMARK = "CIS AWS Foundations Benchmark"
V1_4, V3_0 = "v1.4.0", "v3.0.0"

# (version, number) -> (the recommendation's title, the Security Hub control that checks it)
RECOMMENDATIONS: dict[tuple[str, str], tuple[str, str]] = {
    (V1_4, "3.1"): ("Ensure CloudTrail is enabled in all regions", "CloudTrail.1"),
    (V1_4, "3.2"): ("Ensure CloudTrail log file validation is enabled", "CloudTrail.4"),
    (V1_4, "3.3"): ("Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible", "CloudTrail.6"),
    (V1_4, "3.4"): ("Ensure CloudTrail trails are integrated with CloudWatch Logs", "CloudTrail.5"),
    (V1_4, "3.5"): ("Ensure AWS Config is enabled in all regions", "Config.1"),
    (V1_4, "3.6"): ("Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket", "CloudTrail.7"),
    (V1_4, "3.7"): ("Ensure CloudTrail logs are encrypted at rest using KMS CMKs", "CloudTrail.2"),
    (V1_4, "3.9"): ("Ensure VPC flow logging is enabled in all VPCs", "EC2.6"),
    (V3_0, "3.1"): ("Ensure CloudTrail is enabled in all regions", "CloudTrail.1"),
    (V3_0, "3.2"): ("Ensure CloudTrail log file validation is enabled", "CloudTrail.4"),
    (V3_0, "3.3"): ("Ensure AWS Config is enabled in all regions", "Config.1"),
    (V3_0, "3.4"): ("Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket", "CloudTrail.7"),
    (V3_0, "3.5"): ("Ensure CloudTrail logs are encrypted at rest using KMS CMKs", "CloudTrail.2"),
    (V3_0, "3.7"): ("Ensure VPC flow logging is enabled in all VPCs", "EC2.6"),
    (V3_0, "3.8"): ("Ensure that Object-level logging for write events is enabled for S3 bucket", "S3.22"),
    (V3_0, "3.9"): ("Ensure that Object-level logging for read events is enabled for S3 bucket", "S3.23"),
}


def requirement(version: str, number: str) -> str:
    return f"{BENCHMARK} {version}/{number}"


def cis(*, v3: str = "", v14: str = "") -> tuple[str, ...]:
    """The control's recommendations in v3.0.0 and v1.4.0 (empty: not in that version), as Security Hub spells
    them; a number the table does not hold is an error at import."""
    wanted = [(V3_0, v3), (V1_4, v14)]
    for key in ((version, number) for version, number in wanted if number):
        if key not in RECOMMENDATIONS:
            raise KeyError(f"{BENCHMARK} {key[0]} has no recommendation {key[1]} in this table")
    return tuple(requirement(version, number) for version, number in wanted if number)
