"""Real documents made here: a PDF whose page shows a JPEG (stored as-is, EXIF included, as DTP tools do) and
an author in its Info dictionary; a DOCX and an ODT with people in their properties and photos in their media."""

from __future__ import annotations

import io
import zipfile

from PIL import Image


def pdf_with_jpeg(
    jpeg: bytes, author: str = "Mrs A. Teacher", producer: str = "Demo Publisher 1.0", xmp: str | None = None
) -> bytes:
    """A one-page PDF showing ``jpeg``; ``xmp``: an XMP packet (one line) in a comment after the header."""
    width, height = Image.open(io.BytesIO(jpeg)).size
    content = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            "/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
        ).encode(),
        (
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
            f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n"
        ).encode()
        + jpeg
        + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
        f"<< /Author ({author}) /Producer ({producer}) >>".encode(),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    if xmp is not None:
        out.write(b"%" + xmp.replace("\n", " ").encode() + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def docx_with_image(
    image: bytes,
    creator: str = "Jo Bloggs",
    modified_by: str = "jbloggs",
    template: str = "C:\\Users\\jbloggs\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm",
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(
            "word/document.xml",
            "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body/></w:document>",
        )
        z.writestr(
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator>{creator}</dc:creator><cp:lastModifiedBy>{modified_by}</cp:lastModifiedBy>"
            "</cp:coreProperties>",
        )
        z.writestr(
            "docProps/app.xml",
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'extended-properties"><Template>{template}</Template><Company>Hillside School</Company>'
            "<Application>Microsoft Office Word</Application></Properties>",
        )
        z.writestr("word/media/image1.jpeg", image)
    return buf.getvalue()


def odt_with_image(image: bytes, creator: str = "Sam Office") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr(
            "meta.xml",
            '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            ' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/'
            f'elements/1.1/"><office:meta><meta:initial-creator>{creator}</meta:initial-creator>'
            "<meta:generator>LibreOffice/7.4</meta:generator></office:meta></office:document-meta>",
        )
        z.writestr("Pictures/photo.jpg", image)
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    """128 MiB of zeros in ~130 KiB: a ratio no real document has."""
    buf = io.BytesIO()
    zeros = b"\x00" * (16 * 1024 * 1024)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for i in range(8):
            z.writestr(f"word/media/huge{i}.png", zeros)
    return buf.getvalue()
