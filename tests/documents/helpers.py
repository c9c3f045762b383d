"""Reading generated documents back the way a person would: Word text, PDF text, the QR as a phone sees it."""

import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from docx import Document


def docx_text(data: bytes) -> str:
    document = Document(BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return "\n".join(texts)


def pdf_text(data: bytes) -> str:
    """pdftotext (poppler), words joined by single spaces so a line break in the PDF does not matter."""
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    return " ".join(result.stdout.decode().split())


def qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on the PDF's pages, decoded by zbarimg from a 150 dpi rendering."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", str(source), str(Path(work) / "page")], check=True, timeout=60)
        found = []
        for page in sorted(Path(work).glob("page*.png")):
            result = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, timeout=60)
            found += [line for line in result.stdout.decode().splitlines() if line]
        return found


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())
