"""Filling a .docx template and turning it into PDF.

docxtpl renders with autoescape, so a client named «ООО "Ромашка" & Ко» cannot break the XML.
The PDF comes from LibreOffice headless: every conversion gets a fresh profile directory
(two sofficeprocesses sharing one profile block each other or crash) and a timeout, so a
hung converter is killed and the outbox tries again later.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

import jinja2
from django.conf import settings
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

QR_WIDTH = Mm(40)


class ConversionError(Exception):
    """LibreOffice did not produce a PDF (missing, crashed or timed out)."""


def environment() -> jinja2.Environment:
    # A missing field is an error, never an empty gap in a contract.
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)


def fill(template: bytes, context: dict, *, images: dict[str, bytes] | None = None) -> bytes:
    """The template with the context filled in; images (PNG bytes) become inline pictures."""
    document = DocxTemplate(BytesIO(template))
    context = dict(context)
    for name, data in (images or {}).items():
        context[name] = InlineImage(document, BytesIO(data), width=QR_WIDTH) if data else ""
    document.render(context, jinja_env=environment(), autoescape=True)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def to_pdf(docx: bytes, *, timeout: int | None = None) -> bytes:
    timeout = timeout or settings.DOCUMENTS_PDF_TIMEOUT
    soffice = shutil.which(settings.DOCUMENTS_SOFFICE) or settings.DOCUMENTS_SOFFICE
    with tempfile.TemporaryDirectory(prefix="crm-pdf-") as work:
        work_dir = Path(work)
        source = work_dir / "document.docx"
        source.write_bytes(docx)
        command = [
            soffice,
            f"-env:UserInstallation={(work_dir / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work_dir),
            str(source),
        ]
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # HOME inside the work directory: LibreOffice writes there even with a profile set.
                env={**os.environ, "HOME": str(work_dir)},
                # Its own process group: on a timeout the wrapper and soffice.bin are killed together.
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise ConversionError(f"LibreOffice не найден ({soffice})") from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionError(f"LibreOffice не уложился в {timeout} с") from exc
        target = work_dir / "document.pdf"
        if not target.exists():
            detail = (stderr or stdout).decode(errors="replace").strip()[-300:]
            raise ConversionError(f"LibreOffice не сделал PDF (код {process.returncode}): {detail}")
        return target.read_bytes()
