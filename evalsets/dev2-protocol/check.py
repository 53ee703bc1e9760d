# Record of the checker the dev2 annotators ran (python3 check.py ITEMS.jsonl).
import json, re, sys
from pathlib import Path
CORPUS = Path(__file__).resolve().parents[2] / 'corpus'  # repo's corpus/
TYPES = {"yes_no","definition","frequency","diagnosis","management","comparison","dose","prognosis"}
def body(src):
    p = CORPUS / f"{src}.md"
    if not p.exists(): return None
    t = p.read_text(encoding='utf-8')
    return " ".join(re.sub(r"\A---\n.*?\n---\n", "", t, flags=re.DOTALL).split())
problems = 0
def bad(msg):
    global problems; problems += 1; print("PROBLEM:", msg)
items = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for it in items:
    for k in ("id","split","kind","turns"):
        if k not in it: bad(f"{it.get('id')}: missing {k}")
    if it.get("split") != "dev2": bad(f"{it['id']}: split must be dev2")
    if it.get("kind") not in ("single","facets","chain","uncovered"): bad(f"{it['id']}: kind")
    n = len(it["turns"])
    if it["kind"] == "chain" and not 2 <= n <= 3: bad(f"{it['id']}: chain needs 2-3 turns")
    if it["kind"] != "chain" and n != 1: bad(f"{it['id']}: one turn expected")
    for t in it["turns"]:
        for k in ("question","type","topic_terms","focus_terms","covered","key_points","nice_to_have","facets"):
            if k not in t: bad(f"{it['id']}: turn missing {k}")
        if t.get("type") not in TYPES: bad(f"{it['id']}: type {t.get('type')}")
        focus = [x.lower() for g in t.get("focus_terms", []) for x in g]
        if t.get("covered"):
            if not 2 <= len(t["key_points"]) <= 5: bad(f"{it['id']}: 2-5 key points")
        else:
            if t["key_points"] or t["nice_to_have"]: bad(f"{it['id']}: uncovered turn has points")
        for p in t["key_points"] + t["nice_to_have"]:
            b = body(p["source"])
            if b is None: bad(f"{it['id']}: no source {p['source']}"); continue
            if " ".join(p["text"].split()) not in b: bad(f"{it['id']}: not verbatim in {p['source']}: {p['text'][:90]}")
            if not any(f in p["text"].lower() for f in focus): bad(f"{it['id']}: no focus term in: {p['text'][:90]}")
        if it["kind"] == "facets":
            if not t["facets"]: bad(f"{it['id']}: facets item without facets")
            for f in t["facets"]:
                for k in ("name","aliases","covered","sources"):
                    if k not in f: bad(f"{it['id']}: facet missing {k}")
print(f"{len(items)} items, {problems} problems")
