// Client-side search for the static site (renkei build-site): kana, variant kanji and small typos
// over search/index.json. The dynamic site uses the server's resolver instead.
(function () {
  "use strict";
  const VARIANTS = { "曾": "曽", "舘": "館", "澤": "沢", "邊": "辺", "邉": "辺", "嶋": "島", "條": "条", "濱": "浜",
    "瀨": "瀬", "藪": "薮", "龍": "竜", "冨": "富", "檜": "桧", "淵": "渕", "嵜": "崎", "﨑": "崎", "栁": "柳",
    "ヶ": "ケ", "ヵ": "ケ", "が": "ケ", "ｹ": "ケ" };
  function norm(s) {
    s = s.normalize("NFKC").replace(/\s+/g, "");
    let out = "";
    for (const ch of s) {
      const c = ch.charCodeAt(0);
      const kata = c >= 0x3041 && c <= 0x3096 ? String.fromCharCode(c + 0x60) : ch;
      out += VARIANTS[kata] || kata;
    }
    return out;
  }
  function distance(a, b) {
    const m = a.length, n = b.length;
    if (Math.abs(m - n) > 2) return 99;
    let prev = Array.from({ length: n + 1 }, (_, j) => j);
    for (let i = 1; i <= m; i++) {
      const cur = [i];
      for (let j = 1; j <= n; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      prev = cur;
    }
    return prev[n];
  }
  function score(q, e) {
    const name = norm(e.name), kana = norm(e.kana);
    if (name === q || kana === q) return 0;
    if (name.startsWith(q) || kana.startsWith(q)) return 1;
    const stem = name.replace(/[市区町村]$/, "");
    if (stem === q) return 1;
    const d = Math.min(distance(q, name), distance(q, kana));
    return d <= (q.length >= 4 ? 2 : 1) ? 2 + d : 99;
  }
  let index = null;
  async function run(q) {
    const list = document.getElementById("results");
    list.textContent = "";
    if (!q) return;
    if (!index) index = await (await fetch("/search/index.json")).json();
    const nq = norm(q);
    const hits = index.map((e) => [score(nq, e), e]).filter((h) => h[0] < 99)
      .sort((a, b) => a[0] - b[0] || a[1].code.localeCompare(b[1].code)).slice(0, 20);
    if (!hits.length) { const li = document.createElement("li"); li.textContent = "見つかりませんでした。"; list.appendChild(li); }
    for (const [, e] of hits) {
      const li = document.createElement("li"), a = document.createElement("a");
      a.href = e.url;
      a.textContent = (e.prefecture !== e.name ? e.prefecture : "") + e.name;
      li.appendChild(a);
      li.append(" " + e.kana + " " + e.code);
      list.appendChild(li);
    }
  }
  const input = document.getElementById("q");
  const q = new URLSearchParams(location.search).get("q") || "";
  input.value = q;
  run(q);
  input.addEventListener("input", () => run(input.value.trim()));
})();
