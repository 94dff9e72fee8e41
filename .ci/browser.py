"""The main flows of Gazette in a real browser, then Lighthouse and axe-core on the pages readers
land on. Run by .ci/browser, which installs the tools and starts a server on a fresh database.

Usage: python3 .ci/browser.py BASE_URL OUT_DIR TOOLS_DIR

Flows (Debian's chromium, driven by Playwright): register, log in, write a Markdown post with a
tag and an uploaded image, comment as another reader and approve it as the author, follow the
author and read /following, find the post with the search box, open its feeds (parsed by
feedparser: bozo must be 0). A screenshot of each step goes to OUT_DIR. Then every page below must
score 100 in Lighthouse's accessibility, best practices and SEO, and axe-core must report no
violation, in the light and the dark theme.
"""

import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import feedparser
from playwright.sync_api import expect, sync_playwright

BASE, OUT, TOOLS = sys.argv[1].rstrip("/"), Path(sys.argv[2]), Path(sys.argv[3])
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Without the background-networking flags, chromium keeps trying hosts this machine cannot reach.
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "a long browser password"
WORD = "hippopotamus"
failures = []


def png(width, height):
    """A small valid PNG: a gradient, so that it is a real picture."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def shot(page, name):
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def register_and_log_in(page, name, step):
    page.goto(f"{BASE}/register")
    page.fill("#username", name)
    page.fill("#email", f"{name}@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    shot(page, f"{step}-register-{name}")
    page.click("button:has-text('Sign Up')")
    page.wait_for_load_state()
    if page.url.rstrip("/").endswith("/login") or page.locator("#password").count() > 0:
        page.goto(f"{BASE}/login")
        page.fill("#email", f"{name}@example.com")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Log In')")
        page.wait_for_load_state()
    check(page.locator("button.nav-button:has-text('Logout')").count() == 1, f"{name} registers and is logged in")
    shot(page, f"{step}-logged-in-{name}")


def flows(browser):
    picture = OUT / "picture.png"
    picture.write_bytes(png(96, 64))
    alice_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    alice = alice_ctx.new_page()
    register_and_log_in(alice, "alice", "01")

    # Logging out and in again, as a returning author does.
    alice.click("button.nav-button:has-text('Logout')")
    alice.wait_for_load_state()
    alice.goto(f"{BASE}/login")
    alice.fill("#email", "alice@example.com")
    alice.fill("#password", PASSWORD)
    shot(alice, "02-login")
    alice.click("button:has-text('Log In')")
    alice.wait_for_load_state()
    check(alice.locator("button.nav-button:has-text('Logout')").count() == 1, "alice logs in")

    # A Markdown post with a tag and an image uploaded from the editor.
    alice.goto(f"{BASE}/post/new")
    alice.fill("#title", "A day at the river")
    alice.fill("#description", "Notes from a walk, with a picture")
    alice.fill("#content", f"We saw a **{WORD}** by the water.\n\n- mud\n- reeds\n\n")
    alice.fill("#tags", "travel")
    alice.set_input_files("#upload-image", str(picture))
    alice.fill("#upload-alt", "The river at noon")
    alice.click("#upload-insert")
    expect(alice.locator("#content")).to_have_value(re.compile(r"/media/images/"), timeout=15000)
    shot(alice, "03-editor-with-image")
    alice.click("button[name=action][value=publish]")
    alice.wait_for_load_state()
    post_url = alice.url
    check("/post/" in post_url, f"the post is published at {post_url}")
    check(alice.locator(".post-body strong", has_text=WORD).count() == 1, "its Markdown is rendered")
    image = alice.locator(".post-body img")
    check(image.count() == 1 and image.evaluate("i => i.complete && i.naturalWidth > 0"), "its image shows")
    shot(alice, "04-post")

    # Bob comments; his first comment waits for alice, who approves it.
    bob_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    bob = bob_ctx.new_page()
    register_and_log_in(bob, "bob", "05")
    bob.goto(post_url)
    bob.fill("textarea[name=body]", "Lovely *walk*, thanks for the picture.")
    bob.click("button:has-text('Post comment')")
    bob.wait_for_load_state()
    check(bob.get_by_text("Awaiting approval").count() >= 1, "bob's first comment waits for approval")
    shot(bob, "06-comment-held")
    alice.goto(f"{BASE}/comments/pending")
    shot(alice, "07-pending")
    alice.click("button:has-text('Approve')")
    alice.wait_for_load_state()
    bob.goto(post_url)
    comment = bob.locator(".comment-body em", has_text="walk")
    check(comment.count() == 1 and bob.get_by_text("Awaiting approval").count() == 0, "the approved comment shows")
    shot(bob, "08-comment-approved")

    # Bob follows alice and reads her post on /following.
    bob.goto(f"{BASE}/user/alice")
    bob.click("form[action='/user/alice/follow'] button")
    bob.wait_for_load_state()
    bob.goto(f"{BASE}/following")
    check(bob.locator(".post-title", has_text="A day at the river").count() == 1, "/following shows alice's post")
    shot(bob, "09-following")

    # A visitor finds it with the search box, by a word of its body.
    visitor_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = visitor_ctx.new_page()
    visitor.goto(f"{BASE}/")
    visitor.keyboard.press("Tab")
    focused = visitor.evaluate("document.activeElement.textContent")
    check(focused.strip() == "Skip to content", "the first Tab reaches the skip link")
    shot(visitor, "10-skip-link")
    visitor.fill("#nav-search-q", WORD)
    visitor.press("#nav-search-q", "Enter")
    visitor.wait_for_load_state()
    check(visitor.locator(".search-result mark", has_text=WORD).count() >= 1, "search finds the post, marked")
    shot(visitor, "11-search")
    visitor.click(".search-result .post-title a")
    visitor.wait_for_load_state()
    check(visitor.url == post_url, "the result opens the post")

    # Its feeds, as a feed reader reads them.
    for path in ["/feed.atom", "/feed.rss", "/user/alice/feed.atom", "/tag/travel/feed.atom"]:
        answer = visitor.request.get(BASE + path)
        feed = feedparser.parse(answer.body())
        titles = [e.get("title") for e in feed.entries]
        check(answer.ok and feed.bozo == 0 and "A day at the river" in titles, f"{path} parses (bozo 0) with the post")
    visitor.goto(f"{BASE}/feed.atom")
    shot(visitor, "12-feed")

    # The same pages on a phone, and in the dark theme.
    for scheme in ["light", "dark"]:
        phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme, is_mobile=True)
        page = phone.new_page()
        for name, url in [("home", f"{BASE}/"), ("post", post_url), ("search", f"{BASE}/search?q={WORD}")]:
            page.goto(url)
            shot(page, f"13-phone-{scheme}-{name}")
        phone.close()
    dark = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = dark.new_page()
    page.goto(post_url)
    shot(page, "14-dark-post")
    dark.close()
    return post_url


def axe(browser, pages):
    source = (TOOLS / "node_modules" / "axe-core" / "axe.min.js").read_text()
    for scheme in ["light", "dark"]:
        # The page's Content-Security-Policy would refuse the injected checker.
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme, bypass_csp=True)
        page = ctx.new_page()
        for name, url in pages:
            page.goto(url)
            page.add_script_tag(content=source)
            result = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
            violations = [f"{v['id']} ({v['impact']}): {len(v['nodes'])} on {v['nodes'][0]['target']}" for v in result["violations"]]
            check(not violations, f"axe, {scheme}, {name}: {'; '.join(violations) or 'no violation'}")
        ctx.close()


def lighthouse(pages):
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    flags = " ".join(["--headless=new", *CHROME_ARGS])
    rows = []
    for name, url in pages:
        report = OUT / f"lighthouse-{name}.json"
        command = [
            str(binary),
            url,
            "--quiet",
            "--only-categories=accessibility,best-practices,seo",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-flags={flags}",
            "--form-factor=desktop",
            "--screenEmulation.disabled",
        ]
        if name == "search":
            # robots.txt keeps crawlers out of search results, as it should; Lighthouse counts
            # that against "is crawlable", which is the point of it here.
            command.append("--skip-audits=is-crawlable")
        run = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=180)
        if run.returncode != 0 or not report.exists():
            check(False, f"lighthouse {name}: exit {run.returncode}: {run.stderr[-2000:]}")
            continue
        data = json.loads(report.read_text())
        scores = {k: round((c.get("score") or 0) * 100) for k, c in data["categories"].items()}
        below = [
            f"{a['id']}: {a['title']}"
            for a in data["audits"].values()
            if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") in ("binary", "numeric")
            and any(a["id"] == ref["id"] for c in data["categories"].values() for ref in c["auditRefs"] if ref.get("weight", 0) > 0)
        ]
        rows.append((name, scores))
        check(all(v == 100 for v in scores.values()), f"lighthouse {name}: {scores}" + (f" — {below}" if below else ""))
    print("\n| page | accessibility | best practices | SEO |\n|---|---:|---:|---:|")
    for name, s in rows:
        print(f"| {name} | {s.get('accessibility')} | {s.get('best-practices')} | {s.get('seo')} |")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        post_url = flows(browser)
        pages = [
            ("home", f"{BASE}/"),
            ("post", post_url),
            ("user", f"{BASE}/user/alice"),
            ("tag", f"{BASE}/tag/travel"),
            ("search", f"{BASE}/search?q={WORD}"),
            ("login", f"{BASE}/login"),
            ("register", f"{BASE}/register"),
        ]
        axe(browser, pages)
        browser.close()
    lighthouse(pages)
    print(f"\nscreenshots and reports in {OUT}")
    if failures:
        print(f"{len(failures)} browser check(s) failed:", *failures, sep="\n  ")
        sys.exit(1)
    print("browser suite: every check passed")


main()
