"""The HTML report as a person sees it: rendered by headless Chromium, checked pixel by pixel (stdlib only)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest
from logbaseline import report
from logbaseline.controls import load
from logbaseline.engine.evaluation import Outcome
from logbaseline.models import Resource, failed, passed

WIDTH, HEIGHT = 1280, 1600
PASS_GREEN, FAIL_RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)  # the chart's bars (report.html)

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")


def outcome(control_id: str, name: str, verdict, region: str = "us-east-1") -> Outcome:
    resource_id = f"arn:aws:logs:{region}:123456789012:log-group:{name}"
    return Outcome(
        load(control_id), "123456789012", region, resource_id, verdict, Resource("123456789012", region, resource_id)
    )


def sample() -> list[Outcome]:
    retention, kms = "logs_log_group_retention_bounded", "logs_log_group_kms_encryption_enabled"
    return [
        outcome(retention, "/aws/lambda/orders-api", failed("events never expire", fixable=True)),
        outcome(retention, "/aws/lambda/payments-api", failed("retention is 30 days, below the floor", fixable=True)),
        outcome(retention, "/aws/lambda/reporting", passed("retention is 400 days")),
        outcome(retention, "/aws/lambda/eu-api", passed("retention is 731 days"), "eu-west-1"),
        outcome(kms, "/x/<script>alert(1)</script>", failed("no KMS key")),
        outcome(kms, "/aws/lambda/reporting", passed("encrypted with a KMS key")),
    ]


def screenshot(html: Path, png: Path, profile: Path) -> None:
    subprocess.run(
        [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", html.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def pixels(png: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and the RGB(A) pixels of an 8-bit, non-interlaced truecolour PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        chunks.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) in {(8, 2, 0), (8, 6, 0)}
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT"))
    stride, rows, previous = width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, [tuple(row[x : x + 3]) for row in rows for x in range(0, stride, bpp)]


def test_report_renders_in_chromium(tmp_path):
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    html.write_text(report.render(sample()), encoding="utf-8")
    screenshot(html, png, tmp_path / "profile")
    assert png.is_file()
    width, height, colours = pixels(png.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    counts = Counter(colours)
    assert len(counts) > 50, "text, cards, badges and bars, not a blank page"
    background, share = counts.most_common(1)[0]
    assert share < 0.9 * WIDTH * HEIGHT, f"mostly one colour {background}: nothing rendered"
    assert counts[PASS_GREEN] > 500 and counts[FAIL_RED] > 500, "the SVG chart's bars are drawn"
