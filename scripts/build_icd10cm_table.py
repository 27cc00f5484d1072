"""Builds apps/patients/data/icd10cm.tsv.gz from CDC's ICD-10-CM tabular list (public domain).

The source files are the April 1, 2026 ICD-10-CM tabular XML and its flat code
list, as redistributed inside the `simple-icd-10-cm` wheel (data/ folder):

    pip download --no-deps -d /tmp/icd simple-icd-10-cm && unzip /tmp/icd/*.whl -d /tmp/icd
    python scripts/build_icd10cm_table.py /tmp/icd/simple_icd_10_cm/data

Output: one line per code (categories, subcategories and full codes, 7th
characters included), "CODE<TAB>title", codes without the dot.
"""

import gzip
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "apps" / "patients" / "data" / "icd10cm.tsv.gz"


def _walk(element: ET.Element, inherited: dict[str, str], titles: dict, sevenths: dict) -> None:
    for diag in element.findall("diag"):
        name = (diag.findtext("name") or "").replace(".", "").strip()
        extensions = dict(inherited)
        definition = diag.find("sevenChrDef")
        if definition is not None:
            extensions = {
                ext.get("char", ""): (ext.text or "").strip()
                for ext in definition.findall("extension")
            }
        titles[name] = " ".join((diag.findtext("desc") or "").split())
        sevenths[name] = extensions
        _walk(diag, extensions, titles, sevenths)


def main(data_dir: str) -> None:
    folder = Path(data_dir)
    xml_file = next(folder.glob("icd10c-tabular-*.xml"))
    list_file = next(folder.glob("code-list-*.txt"))
    root = ET.parse(xml_file).getroot()  # noqa: S314
    titles: dict[str, str] = {}
    sevenths: dict[str, dict[str, str]] = {}
    for chapter in root.iter("chapter"):
        for section in chapter.findall("section"):
            _walk(section, {}, titles, sevenths)
    rows = []
    for line in list_file.read_text().split():
        code = line.strip()
        if not code or "-" in code or code.isdigit():
            continue  # chapters and blocks are not codes
        if code in titles:
            rows.append((code, titles[code]))
            continue
        # A 7th-character code: the title of its nearest listed parent plus the extension.
        stem = code[:6].rstrip("X")
        while stem and stem not in titles:
            stem = stem[:-1]
        extension = sevenths.get(stem, {}).get(code[6], "")
        rows.append((code, f"{titles[stem]}, {extension}" if extension else titles[stem]))
    with gzip.open(OUTPUT, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write("# ICD-10-CM April 1, 2026 (CDC/NCHS, public domain): code<TAB>title\n")
        for code, title in rows:
            out.write(f"{code}\t{title}\n")
    print(f"{len(rows)} codes written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1])
