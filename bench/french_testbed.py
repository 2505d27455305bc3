"""A French syndication testbed: fictional French sites reposting fictional AFP dépêches in their own wrappers.

Writes the same layout and truth.json as ../shared/tools/make_testbed.py (which takes English
bodies only), so ../shared/tools/score_testbed.py scores it: one directory per site with an RSS
feed and one HTML page per article, feeds.txt, feeds.opml and truth.json.

Base texts (all written for this project, fictional): the 32 articles of the French quote gold
set (tests/fixtures/quotes/fr/articles.txt, annotation marks removed) and bench/fr/base_extra.txt.
Wrapper styles: bench/fr/styles.json. Each AFP story runs on 2-4 sites; each site wraps it in its
style's lines (publication and update lines, bylines "avec AFP", photo captions "(Photo AFP)",
"Lire aussi :", newsletter and social lines, "Réagir", "© AFP"), may retitle it, and some
copies are cut to their first paragraphs (short) or replaced by the agency's write-through
(version 2, same story). A few stories are a site's own reporting (no agency, one site).
"""
from __future__ import annotations

import argparse
import html
import json
import random
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD_ARTICLES = ROOT / "tests" / "fixtures" / "quotes" / "fr" / "articles.txt"
EXTRA = ROOT / "bench" / "fr" / "base_extra.txt"
STYLES = ROOT / "bench" / "fr" / "styles.json"
REFERENCE = datetime(2026, 3, 12, 6, 0, tzinfo=timezone.utc)
_DATELINE = re.compile(r"^[A-ZÀ-Ý][A-ZÀ-Ý' .-]+ \(AFP\) - ")
_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def base_texts() -> list[tuple[str, list[str]]]:
    """(id, paragraphs) of every base text: the gold set's articles without their marks, then the extra ones."""
    out = []
    for path in (GOLD_ARTICLES, EXTRA):
        for block in re.split(r"^### ", path.read_text(encoding="utf-8"), flags=re.M):
            if not block.strip():
                continue
            art_id, _, body = block.partition("\n")
            paras = [ln.replace("⟦", "").replace("⟧", "") for ln in body.split("\n")
                     if ln.strip() and not ln.startswith("@@")]
            out.append((art_id.strip(), paras))
    return out


def slugify(text: str, words: int = 8) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain)[:words])


def headline(paras: list[str]) -> str:
    """The lead's first clause, without the dateline, at most 12 words."""
    lead = _DATELINE.sub("", paras[0])
    clause = re.split(r"[,;:.]", lead, maxsplit=1)[0].split()
    return " ".join(clause[:12])


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def _page(site: dict, url: str, title: str, when: datetime, author: str, body: list[tuple[str, str]],
          related: list[tuple[str, str]]) -> str:
    """An article page: the body's (kind, line) items inside the content block, the site's chrome around it."""
    e = html.escape
    parts = []
    for kind, line in body:
        if kind == "caption":
            parts.append(f'<figure class="wp-caption"><img src="{e(url)}.jpg" alt=""><figcaption>{e(line)}</figcaption></figure>'
                         if site["caption_html"] == "figure" else f'<p class="legende">{e(line)}</p>')
        else:
            parts.append(f"<p>{e(line)}</p>")
    links = "".join(f'<li><a href="{e(u)}">{e(t)}</a></li>' for u, t in related)
    iso = when.isoformat().replace("+00:00", "Z")
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{e(title)} - {e(site['name'])}</title>
<link rel="canonical" href="{e(url)}">
<meta property="og:title" content="{e(title)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{e(site['name'])}">
<meta property="article:published_time" content="{iso}">
<meta name="author" content="{e(author)}">
</head>
<body>
<header><a class="logo" href="/">{e(site['name'])}</a><nav><ul><li>Actualité</li><li>Régions</li><li>Économie</li><li>Sports</li></ul></nav></header>
<main><article>
<h1 class="entry-title">{e(title)}</h1>
<div class="entry-content">
{chr(10).join(parts)}
</div>
</article>
<aside class="related"><h2>Les plus lus</h2><ul>{links}</ul></aside></main>
<footer><p>© {when.year} {e(site['name'])}. Tous droits réservés.</p><p>Mentions légales · Politique de confidentialité · Gérer les cookies</p></footer>
</body>
</html>
"""


def generate(out: Path, base_url: str, seed: int = 1, styles_path: Path = STYLES, own_share: float = 0.15,
             short_share: float = 0.12, writethru_share: float = 0.12) -> dict:
    """Write the testbed under `out` (served at `base_url`); returns truth (also written to out/truth.json)."""
    rng = random.Random(seed)
    spec = json.loads(styles_path.read_text(encoding="utf-8"))
    sites = spec["sites"]
    texts = base_texts()
    stories, articles, pages_by_site = {}, [], {s["slug"]: [] for s in sites}
    updates = list(spec["update_paragraphs"])
    rng.shuffle(updates)
    for n, (text_id, paras) in enumerate(texts):
        story_id = f"story-{n + 1:05d}"
        own = rng.random() < own_share
        origin = None if own else "AFP"
        chosen = rng.sample(sites, 1 if own else rng.randint(2, 4))
        title = headline(paras)
        when = REFERENCE + timedelta(minutes=37 * n + rng.randint(0, 30))
        if own:
            paras = [_DATELINE.sub("", paras[0])] + paras[1:]
        wt = None
        if origin and len(chosen) >= 2 and len(paras) >= 4 and updates and rng.random() < writethru_share * 2:
            # The agency's update: one paragraph after the lead dropped, a new one inserted.
            new = updates.pop()
            wt = {"paras": paras[:1] + [new] + paras[1:2] + paras[3:], "title": "ACTUALISATION - " + title,
                  "when": when + timedelta(minutes=rng.randint(45, 240))}
        stories[story_id] = {"origin": origin, "dateline_city": None, "sites": [s["slug"] for s in chosen],
                             "original_title": title, "copy": 0, "sources": [text_id],
                             "published_at": when.isoformat().replace("+00:00", "Z"), "sibling_of": None,
                             "writethru": bool(wt)}
        for k, site in enumerate(chosen):
            version = 2 if wt and k == len(chosen) - 1 else 1
            body_paras = wt["paras"] if version == 2 else list(paras)
            orig_title = wt["title"] if version == 2 else title
            short = bool(origin) and len(chosen) >= 2 and len(body_paras) >= 3 and k > 0 and rng.random() < short_share * 2
            if short:
                body_paras = body_paras[:rng.randint(1, 2)]
            published = (wt["when"] if version == 2 else when) + timedelta(minutes=rng.randint(3, 90))
            pages_by_site[site["slug"]].append((story_id, origin, orig_title, body_paras, published, version, short))
    for site in sites:
        staff = site["staff"]
        entries = []
        for i, (story_id, origin, orig_title, body_paras, published, version, short) in enumerate(pages_by_site[site["slug"]]):
            srng = random.Random(f"{seed}-{site['slug']}-{story_id}")
            title = orig_title if srng.random() < 0.5 else _fill(srng.choice(site["headlines"]), {"title": orig_title, "site": site["name"]})
            slug = slugify(orig_title)
            path = f"site-{site['slug']}/{published:%Y/%m}/{slug}.html"
            url = f"{base_url}/{path}"
            reporter = srng.choice(staff)
            updated = published + timedelta(minutes=srng.randint(20, 200))
            names = [w for w in re.findall(r"\b[A-ZÉ][a-zéèëï]+(?: [A-ZÉ][a-zéèëï]+)+", " ".join(body_paras[1:]))] or [site["name"]]
            other = [t for s2, _, t, *_ in pages_by_site[site["slug"]] if s2 != story_id]
            values = {
                "site": site["name"], "reporter": reporter, "photographer": srng.choice(spec["photographers"]),
                "date": f"{published:%d/%m/%Y}", "time": f"{published:%Hh%M}", "update_time": f"{updated:%Hh%M}",
                "date_long": f"{published.day} {_MONTHS[published.month - 1]} {published.year}",
                "colon_time": f"{published:%H:%M}", "year": str(published.year),
                "entity": srng.choice(names), "related": srng.choice(other) if other else site["name"],
                "n": str(srng.randint(2, 48)),
            }
            body: list[tuple[str, str]] = []
            wrappers, kinds = [], []
            blocks = {"top": [], "inline": [], "bottom": []}
            for block in site["blocks"]:
                if origin is None and block.get("agency_only"):
                    continue
                if srng.random() < block["p"]:
                    line = _fill(srng.choice(block["variants"]), values)
                    blocks[block["position"]].append((block["kind"], line))
            paras_out = [("p", p) for p in body_paras]
            if blocks["inline"] and len(paras_out) >= 3:
                at = srng.randint(1, len(paras_out) - 1)
                paras_out[at:at] = blocks["inline"]
            else:
                blocks["bottom"] = blocks["inline"] + blocks["bottom"]
            body = blocks["top"] + paras_out + blocks["bottom"]
            for kind, line in body:
                if kind != "p":
                    wrappers.append(line)
                    kinds.append(kind)
            author = f"{reporter} avec AFP" if origin else reporter
            page = _page(site, url, title, published, author, body, [(f"{base_url}/site-{site['slug']}/", t) for t in other[:3]])
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_text(page, encoding="utf-8")
            articles.append({
                "url": url, "canonical_url": url, "amp_url": None, "path": path, "site": site["slug"],
                "story_id": story_id, "origin": origin, "title_as_published": title, "original_title": orig_title,
                "published_at": published.isoformat().replace("+00:00", "Z"), "body_expected": "\n".join(body_paras),
                "wrappers": wrappers, "wrapper_kinds": kinds, "truncated": short, "in_feed_full_text": False,
                "version": version, "short": short,
            })
            entries.append((published, title, url, author, body_paras[0]))
        items = "".join(
            f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link><guid>{html.escape(u)}</guid>"
            f"<pubDate>{p.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate><dc:creator>{html.escape(a)}</dc:creator>"
            f"<description>{html.escape(d)}</description></item>\n"
            for p, t, u, a, d in sorted(entries, reverse=True))
        feed = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<channel><title>{html.escape(site['name'])}</title><link>{base_url}/site-{site['slug']}/</link>"
                f"<description>L'actualité avec {html.escape(site['name'])}</description><language>fr-FR</language>\n{items}</channel></rss>\n")
        (out / f"site-{site['slug']}").mkdir(parents=True, exist_ok=True)
        (out / f"site-{site['slug']}" / "feed.xml").write_text(feed, encoding="utf-8")
    feeds = [f"{base_url}/site-{s['slug']}/feed.xml" for s in sites]
    (out / "feeds.txt").write_text("\n".join(feeds) + "\n", encoding="utf-8")
    outlines = "".join(f'<outline text="{html.escape(s["name"])}" title="{html.escape(s["name"])}" type="rss" xmlUrl="{f}"/>\n'
                       for s, f in zip(sites, feeds))
    (out / "feeds.opml").write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Banc d\'essai français</title></head>'
                                    f"<body>\n{outlines}</body></opml>\n", encoding="utf-8")
    truth = {"generator": {"name": "bench.french_testbed", "seed": seed, "styles": styles_path.name},
             "sites": [{"slug": s["slug"], "name": s["name"]} for s in sites], "stories": stories, "articles": articles}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--styles", default=str(STYLES))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    truth = generate(out, args.base_url.rstrip("/"), args.seed, Path(args.styles))
    print(f"{len(truth['stories'])} stories, {len(truth['articles'])} articles on {len(truth['sites'])} sites in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
