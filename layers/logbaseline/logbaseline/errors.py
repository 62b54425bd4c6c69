"""What the command line says when it cannot run: one line on stderr and an exit code, never a traceback
(unless --debug). Exit codes: 2 a usage error (an option, a profile or a region that does not exist),
1 the command could not run (no credentials, AWS unreachable, a refused call), 3 results at --fail-on."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import click
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)

USAGE_EXIT_CODE = 2
COULD_NOT_RUN_EXIT_CODE = 1
FAIL_ON_EXIT_CODE = 3  # as Prowler: results with the --fail-on status were found

# Answers that say the credentials themselves were refused, whatever the call.
REFUSED_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "RequestExpired",
        "InvalidAccessKeyId",
    }
)
NO_REGION = "no AWS region: pass --region, or set AWS_REGION or AWS_DEFAULT_REGION, or a region in the profile"


class BadInput(click.ClickException):
    """A value the user gave (an option, a profile, a region) that cannot work: exit code 2, one line."""

    exit_code = USAGE_EXIT_CODE


class CouldNotRun(click.ClickException):
    exit_code = COULD_NOT_RUN_EXIT_CODE


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean x?)' for the nearest choice, or empty."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def client_error_text(error: ClientError) -> str:
    answer = error.response.get("Error", {})
    return f"{answer.get('Code', 'Unknown')}: {answer.get('Message', '')}".rstrip(": ")


def one_line(error: BotoCoreError | ClientError) -> click.ClickException:
    """The one-line message and exit code of an AWS error the user can act on."""
    if isinstance(error, ProfileNotFound):
        return BadInput(
            f"the AWS profile {error.kwargs.get('profile')!r} is not in your AWS config files: "
            "check --profile or AWS_PROFILE (aws configure list-profiles)"
        )
    if isinstance(error, NoRegionError):
        return BadInput(NO_REGION)
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return CouldNotRun(
            "no AWS credentials found: pass --profile (or set AWS_PROFILE), set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or sign in (aws sso login, aws configure)"
        )
    if isinstance(error, TokenRetrievalError | SSOError | CredentialRetrievalError):
        return CouldNotRun(f"could not get AWS credentials: {error}")
    if isinstance(error, ConnectionError | ReadTimeoutError):
        endpoint = error.kwargs.get("endpoint_url", "")
        return CouldNotRun(
            f"could not reach AWS at {endpoint}: check the network, the region and AWS_ENDPOINT_URL ({error})"
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in REFUSED_CREDENTIALS:
            return CouldNotRun(f"AWS refused the credentials: {client_error_text(error)}")
        return CouldNotRun(f"AWS refused {error.operation_name}: {client_error_text(error)}")
    return CouldNotRun(str(error))
