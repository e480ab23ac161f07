/* govsite static search client: no dependencies.
 *
 * Reads the prebuilt index under /search/idx/ (see search_index/format.py). queryTerms() mirrors
 * search_index/tokenize.py:query_terms and search() mirrors search_index/query.py:SearchIndex.search,
 * so the page, /api/search and `govsite search` give the same answers. Change them together.
 */
(function () {
  "use strict";

  var IDX = "/search/idx/";
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  var CJK_PAIR = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2}$/;
  var ASCII = /[a-z0-9]+/g;
  var NEEDS_NFKC = /[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uf900-\ufaff\u2f00-\u2fdf\u2460-\u24ff\u3200-\u33ff\u3000\u00a0\u2160-\u217f\ufe30-\ufe4f\uff5b-\uff65]/;
  var BRACKETS = /[〔\[(（【［﹝〖{｛<《〕\])）】］﹞〗}｝>》]/g;
  // content_models/identifiers.py: doc_no_key and its helpers (the short organ names come from the
  // manifest, written from identifiers.ORGAN_SHORT_FORMS: one list).
  var CN_DIGITS = { "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9 };
  var CN_UNITS = { "十": 10, "百": 100, "千": 1000 };
  var CN_SERIAL = /第([零〇一二两三四五六七八九十百千]+)号/g;
  var JOINT = /[、，,；;]+/;
  var TYPED_AS_DOC_NO = /[号第〔\[(（【［﹝〖{｛<《〕\])）】］﹞〗}｝>》]/;
  var DOC_NO_KEY_LIKE = /^(?=[^0-9]*[\u3400-\u9fff])[\u3400-\u9fffa-zA-Z·\-]+[0-9]+号?$/;
  var INDEX_NO_LIKE = /^[0-9a-z\-]{4,32}\/\d{4}-\d{1,8}$/;
  var MAX_ASCII_LEN = 24, MAX_WORD = 6, MAX_QUERY_WORDS = 30;
  var INDEX_VERSION = 2;  // format.VERSION
  var SHORT_HASH = 6;  // format.SHORT_HASH: hex digits of a page's hash in a shard entry
  var PAGE_SIZE = 10, RELEVANCE_POOL = 50, SNIPPET_CHARS = 110;
  var FACETS = ["organ", "category", "topic", "year", "validity"];
  var FACET_KEYS = { organ: "o", category: "c", topic: "t", year: "y", validity: "v" };

  var manifest = null;
  var delta = null;    // the manifest's delta (format.py): dead ordinals, files of changed documents
  var files = {};      // "kind/name" -> Promise of decoded content (content-hashed: never stale)
  var t2s = {};        // traditional -> simplified, filled bucket by bucket
  var t2sLoaded = {};

  // ---- files ----------------------------------------------------------------------------
  function gunzip(response) {
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    var stream = response.body.pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }
  function load(kind, name, asJson) {
    var key = kind + "/" + name;
    if (!files[key]) {
      files[key] = fetch(IDX + kind + "/" + name + ".bin").then(gunzip).then(function (buf) {
        return asJson ? JSON.parse(new TextDecoder().decode(buf)) : new Uint8Array(buf);
      });
      files[key].catch(function () { delete files[key]; });
    }
    return files[key];
  }
  function loadManifest() {
    return fetch(IDX + "manifest.json", { cache: "no-cache" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(function (m) {
      // A page cached from before an upgrade meets a newer index: leave the server form in charge.
      if (m.version !== INDEX_VERSION) { throw new Error("index version " + m.version); }
      manifest = m;
      delta = makeDelta(m.delta, m.block);
      return m;
    });
  }

  // ---- folding and terms (mirror of tokenize.py) -----------------------------------------
  function loadT2s(text) {
    var need = {};
    var runs = text.match(CJK) || [];
    runs.join("").split("").forEach(function (c) {
      var b = c.charCodeAt(0) % manifest.t2s.buckets;
      if (!t2sLoaded[b]) { need[b] = true; }
    });
    return Promise.all(Object.keys(need).map(function (b) {
      return load("t", manifest.t2s.files[b], true).then(function (map) {
        Object.keys(map).forEach(function (k) { t2s[k] = map[k]; });
        t2sLoaded[b] = true;
      });
    }));
  }
  // tokenize._fold_width_case: fold without the t2s map.
  function widthCase(text) {
    if (!text) { return ""; }
    return (NEEDS_NFKC.test(text) ? text.normalize("NFKC") : text).toLowerCase();
  }
  function fold(text) {
    if (!text) { return ""; }
    text = widthCase(text);
    var out = "";
    for (var i = 0; i < text.length; i++) { var c = text[i]; out += t2s[c] || c; }
    return out;
  }
  function bigrams(folded) {
    var out = [];
    (folded.match(CJK) || []).forEach(function (run) {
      for (var i = 0; i < run.length - 1; i++) { out.push(run.substr(i, 2)); }
    });
    return out;
  }
  function asciiWords(folded) {
    return (folded.match(ASCII) || []).filter(function (w) { return w.length <= MAX_ASCII_LEN; });
  }
  function chineseNumber(text) {
    if (!text) { return null; }
    var units = false;
    for (var i = 0; i < text.length; i++) {
      if (!(text[i] in CN_DIGITS) && !(text[i] in CN_UNITS)) { return null; }
      if (text[i] in CN_UNITS) { units = true; }
    }
    if (!units) { return parseInt(text.split("").map(function (c) { return CN_DIGITS[c]; }).join(""), 10); }
    var total = 0, digit = null;
    for (i = 0; i < text.length; i++) {
      if (text[i] in CN_DIGITS) { digit = CN_DIGITS[text[i]]; } else { total += (digit === null ? 1 : digit) * CN_UNITS[text[i]]; digit = null; }
    }
    return total + (digit || 0);
  }
  function docNoKey(text) {
    text = text.normalize("NFKC").split(/\s+/).join("").replace(BRACKETS, "");
    text = text.replace(CN_SERIAL, function (m, g) { var n = chineseNumber(g); return n === null ? m : "第" + n + "号"; });
    var forms = (manifest && manifest.doc_no && manifest.doc_no.short_forms) || [];
    forms.forEach(function (f) { text = text.split(f[0]).join(f[1]); });
    return text.replace(/(\d{4})年(?=第?\d)/g, "$1").replace(/第(?=\d)/g, "");
  }
  function docNoKeys(raw) {
    var text = (raw || "").normalize("NFKC").trim();
    if (!text) { return []; }
    var keys = [docNoKey(text)];
    text.split(JOINT).forEach(function (part) {
      var words = part.trim() ? part.trim().split(/\s+/) : [];
      for (var i = 0; i < words.length; i++) {
        var key = docNoKey(words.slice(i).join(""));
        if (key && DOC_NO_KEY_LIKE.test(key)) { keys.push(key); }
      }
    });
    return keys.filter(function (k, i) { return k && keys.indexOf(k) === i; });
  }
  function docNoQueryKeys(query) {
    var out = [];
    if (!TYPED_AS_DOC_NO.test(query)) { return out; }
    docNoKeys(query).forEach(function (key) {
      if (!DOC_NO_KEY_LIKE.test(key)) { return; }
      if (key.charAt(key.length - 1) !== "号") { key += "号"; }
      if (out.indexOf(key) < 0) { out.push(key); }
    });
    return out;
  }
  function queryTerms(query) {
    var folded = fold(query).trim();
    var required = [];
    bigrams(folded).concat(asciiWords(folded)).forEach(function (t) {
      if (required.indexOf(t) < 0) { required.push(t); }
    });
    if (required.some(function (t) { return t.length > 1; })) {
      required = required.filter(function (t) { return t.length > 1; });
    }
    var edges = [];
    if (required.some(function (t) { return !/^[a-z0-9]+$/.test(t); })) {
      [folded.match(/^[a-z0-9]+/), folded.match(/[a-z0-9]+$/)].forEach(function (m) {
        if (m && required.indexOf(m[0]) >= 0 && edges.indexOf(m[0]) < 0) { edges.push(m[0]); }
      });
      required = required.filter(function (t) { return edges.indexOf(t) < 0; });
    }
    var exact = docNoQueryKeys(folded).map(function (k) { return "#n:" + k; });
    var compact = folded.split(/\s+/).join("");
    if (INDEX_NO_LIKE.test(compact)) { exact.push("#i:" + compact); }
    var words = edges.slice();
    (folded.match(CJK) || []).forEach(function (run) {
      for (var size = 2; size <= Math.min(MAX_WORD, run.length); size++) {
        for (var i = 0; i + size <= run.length; i++) {
          var t = "w:" + run.substr(i, size);
          if (words.indexOf(t) < 0 && words.length < MAX_QUERY_WORDS) { words.push(t); }
        }
      }
    });
    return { required: required, exact: exact, words: words, folded: folded };
  }

  // format.phrase_years and format.title_year_fits: the title years a typed phrase allows.
  var RANGE_MARKS = "—-－~～至到";
  function phraseYears(phrase, firstYear) {
    var codes = {}, first = 0, afterRange = false, re = /[0-9]+/g, m;
    while ((m = re.exec(phrase)) !== null) {
      var d = m[0], end = m.index + d.length;
      if (m.index > 0 && end < phrase.length && d.length === 4) {
        var y = parseInt(d, 10) - firstYear;
        if (y >= 0 && y < 63) {
          codes[y + 1] = true;
          if (!first) { first = y + 1; afterRange = RANGE_MARKS.indexOf(phrase.charAt(m.index - 1)) >= 0; }
        }
      } else if (m.index === 0 && d.length <= 4 && phrase.charAt(end) === "年") {
        for (var k = 0; k < 63; k++) { if (String(firstYear + k).endsWith(d)) { codes[k + 1] = true; } }
      }
    }
    return { codes: codes, any: !Object.keys(codes).length, first: first, afterRange: afterRange };
  }
  function titleYearFits(bits, years) {
    var code = bits >> 2;
    if (years.any || !code) { return true; }
    if (!(bits & 1) || !years.first) { return !!years.codes[code]; }
    return years.afterRange ? code < years.first : code === years.first;
  }

  // ---- index access ------------------------------------------------------------------------
  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) { h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0; }
    return h >>> 0;
  }
  // format.family_of: exact keys, ASCII words, everything else.
  function family(term) {
    if (term.charAt(0) === "#") { return "k"; }
    return /^[a-z0-9]+$/.test(term) ? "a" : "m";
  }
  // format.expand_entry: a paged entry [df, group, [block, count, ...], "<hash6 of each page>"]
  // becomes [df, [[block, count, "@<page>" or "@<page>:<offset>"], ...]] (3 bytes a posting).
  function expand(term, e) {
    if (!e || e.length === 2) { return e; }
    var group = e[1], flat = e[2], hashes = e[3];
    var prefix = ("0000000" + fnv1a(term).toString(16)).slice(-8) + ".";
    var out = [], first = -1, page = -1, offset = 0, name = "";
    for (var i = 0; i < flat.length; i += 2) {
      var blk = flat[i], count = flat[i + 1], g = Math.floor(blk / group) * group;
      if (g !== first) {
        first = g; page++; offset = 0;
        name = prefix + g + "-" + hashes.substr(SHORT_HASH * page, SHORT_HASH);
      }
      out.push([blk, count, offset ? "@" + name + ":" + offset : "@" + name]);
      offset += 3 * count;
    }
    return [e[0], out];
  }
  // format.listed_name: a shard or metadata chunk, from the generation its directory file lists.
  function listedName(key, gen) { return key + "-" + manifest.epoch + "-" + gen; }
  function mainEntry(term, key) {
    var fam = family(term);
    var f = manifest.families[fam];
    var shard = fnv1a(key) % f.shards;
    return load("d", f.dirs[Math.floor(shard / manifest.dir_size)], true).then(function (gens) {
      var gen = gens[shard % manifest.dir_size];
      if (!gen) { return null; }
      return load("s", listedName(fam + shard, gen), true).then(function (s) { return expand(term, s[term]) || null; });
    });
  }
  function entry(term) {
    // A word (w:营商环境) or title term (t:营商) lives in the shard of its first bigram (营商),
    // fetched for the query anyway; so does its delta file (format.delta_bucket).
    var prefix = term.slice(0, 2);
    var key = prefix === "w:" || prefix === "t:" ? term.substr(2, 2) : term;
    var main = mainEntry(term, key);
    if (!delta) { return main; }
    var more;
    if (delta.inline) {
      more = delta.inline.then(function (x) { return x[0][term] || []; });
    } else {
      var name = delta.buckets[fnv1a(key) % delta.buckets.length];
      more = name ? load("x", name, true).then(function (b) { return b[term] || []; }) : Promise.resolve([]);
    }
    return Promise.all([main, more]).then(function (both) { return mergeEntry(both[0], both[1]); });
  }
  // query.py _Delta: the blocks the delta changes get "!" refs: [block, count, "!" + main ref
  // (or "!"), [ordinal, impact, ...] of the delta in that block].
  function makeDelta(spec, block) {
    if (!spec) { return null; }
    var d = { block: block, dead: new Set(spec.dead), ords: new Set(spec.ords), buckets: spec.buckets,
              meta: spec.meta, deadBlocks: new Set(), inline: null };
    spec.dead.forEach(function (o) { d.deadBlocks.add(Math.floor(o / block)); });
    if (spec.inline) {  // [{term: postings}, [[ordinal, row], ...]], gzip'd, in the manifest (ADR 0161)
      d.inline = new Response(new Blob([b64(spec.inline)]).stream().pipeThrough(new DecompressionStream("gzip")))
        .arrayBuffer().then(function (buf) { return JSON.parse(new TextDecoder().decode(buf)); });
    }
    return d;
  }
  function mergeEntry(e, flat) {
    var added = {}, n = 0;
    for (var i = 0; i < flat.length; i += 2) {
      var b = Math.floor(flat[i] / delta.block);
      (added[b] = added[b] || []).push(flat[i], flat[i + 1]);
      n++;
    }
    if (!e && !n) { return null; }
    var segs = [];
    (e ? e[1] : []).forEach(function (seg) {
      var blk = seg[0];
      if (delta.deadBlocks.has(blk) || added[blk]) {
        segs.push([blk, seg[1], "!" + seg[2], added[blk] || []]);
        delete added[blk];
      } else {
        segs.push(seg);
      }
    });
    Object.keys(added).forEach(function (b) { segs.push([+b, added[b].length / 2, "!", added[b]]); });
    segs.sort(function (a, b) { return a[0] - b[0]; });
    return [(e ? e[0] : 0) + n, segs];
  }
  function mergeSegment(seg) {
    var main = seg[2].length > 1 ? segment([seg[0], seg[1], seg[2].slice(1)]) : Promise.resolve({ ords: [], imps: [] });
    return main.then(function (m) {
      var pairs = [], extra = seg[3];
      for (var i = 0; i < m.ords.length; i++) {
        if (!delta.dead.has(m.ords[i])) { pairs.push([m.ords[i], m.imps[i]]); }
      }
      for (var j = 0; j < extra.length; j += 2) { pairs.push([extra[j], extra[j + 1]]); }
      pairs.sort(function (a, b) { return a[0] - b[0]; });
      return { ords: pairs.map(function (p) { return p[0]; }), imps: pairs.map(function (p) { return p[1]; }) };
    });
  }
  function b64(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  function segment(seg) {
    var block = seg[0], count = seg[1], ref = seg[2];
    if (ref.charAt(0) === "!") { return mergeSegment(seg); }
    var parts = ref.slice(1).split(":");  // "@<page>" or "@<page>:<byte offset>" (grouped pages)
    var raw = ref.charAt(0) === "@" ? load("p", parts[0], false) : Promise.resolve(b64(ref));
    return raw.then(function (bytes) {
      if (parts.length > 1) { bytes = bytes.subarray(parseInt(parts[1], 10)); }
      var ords = new Array(count), imps = new Array(count), o = block * manifest.block;
      for (var i = 0; i < count; i++) {
        o += bytes[i] | (bytes[count + i] << 8);  // low bytes, then high bytes (format.gap_bytes)
        ords[i] = o;
        imps[i] = bytes[2 * count + i];
      }
      return { ords: ords, imps: imps };
    });
  }
  function segFor(e, block) {
    for (var i = 0; i < e[1].length; i++) { if (e[1][i][0] === block) { return segment(e[1][i]); } }
    return Promise.resolve(null);
  }
  function metaRow(ord) {
    var m = manifest.meta, chunk = Math.floor(ord / m.chunk);
    if (delta && (delta.ords.has(ord) || delta.dead.has(ord))) {
      if (!delta.ords.has(ord)) { return Promise.resolve(null); }  // withdrawn since the last merge
      var rowsOf = delta.inline ? delta.inline.then(function (x) { return x[1]; }) : load("x", delta.meta, true);
      return rowsOf.then(function (rows) {
        for (var i = 0; i < rows.length; i++) {
          if (rows[i][0] === ord) {
            var out = {};
            m.fields.forEach(function (f, k) { out[f] = rows[i][1][k]; });
            return out;
          }
        }
        return null;
      });
    }
    return load("d", m.dirs[Math.floor(chunk / m.per_dir)], true).then(function (gens) {
      var gen = gens[chunk % m.per_dir];
      if (!gen) { return null; }
      return load("c", listedName(String(chunk), gen), true).then(function (rows) {
        var row = rows[ord % m.chunk];
        if (!row) { return null; }
        var out = {};
        m.fields.forEach(function (f, i) { out[f] = row[i]; });
        return out;
      });
    });
  }
  function idf(df, n) { return Math.log(1 + (n - df + 0.5) / (df + 0.5)); }
  function entries(terms) {
    return Promise.all(terms.map(entry)).then(function (list) {
      var out = [];
      terms.forEach(function (t, i) { out.push([t, list[i]]); });
      return out;
    });
  }
  function blocksOf(e) {
    var s = {};
    e[1].forEach(function (seg) { s[seg[0]] = true; });
    return s;
  }

  // ---- the query (mirror of query.py) --------------------------------------------------------
  function search(params) {
    return loadT2s(params.q.normalize("NFKC")).then(function () {
      var sc = manifest.scoring, n = Math.max(1, manifest.docs);
      var page = Math.max(1, Math.min(100, params.page || 1)), size = PAGE_SIZE;
      var sort = params.sort === "date" ? "date" : "relevance";
      var terms = queryTerms(params.q);
      var filters = [];
      FACETS.forEach(function (k) { if (params[k]) { filters.push("f:" + FACET_KEYS[k] + ":" + params[k]); } });
      if (!terms.required.length && !terms.exact.length && !filters.length) {
        return { total: 0, exact: true, results: [], page: page, pages: 0, terms: terms,
          message: params.q.trim() ? "请输入至少两个汉字或一个词" : "", suggestions: [] };
      }
      // An exact 文号 or 索引号 first: when it exists, the query's other terms are not needed
      // (query.py), and their shards are not downloaded.
      return entries(terms.exact).then(function (ex) {
        var found = ex.filter(function (x) { return x[1]; }).length > 0;
        return Promise.all([found ? [] : entries(terms.required), ex, entries(filters), found ? [] : entries(terms.words)]);
      }).then(function (all) {
          var req = all[0], exact = all[1].filter(function (x) { return x[1]; });
          var flt = all[2], words = all[3].filter(function (x) { return x[1]; });
          var reqOk = req.every(function (x) { return x[1]; });
          if (flt.some(function (x) { return !x[1]; }) || (!reqOk && !exact.length)) {
            return empty(params, page, terms, req);
          }
          if (exact.length) {  // an exact 文号 or 索引号: the documents it identifies are the answer
            req = []; words = []; reqOk = true;
          } else {  // skip very common bigrams when the query has rarer ones (see query.py)
            var common = manifest.docs * sc.stop, keep = {}, kept = 0, limit = Infinity, costly = 0;
            req.slice().sort(function (a, b) { return a[1][0] - b[1][0]; }).forEach(function (x) {
              var df = x[1][0];
              if (kept < sc.min_terms || (df <= common && df <= limit && kept < sc.max_terms)) {
                keep[x[0]] = true; kept++; costly = Math.max(costly, df);
              }
              if (limit === Infinity) { limit = df * sc.extra; }
            });
            req = req.filter(function (x) { return keep[x[0]]; });
            var best = {}, wordLimit = Math.min(common, costly * sc.word_ratio);
            words.filter(function (x) { return x[1][0] <= wordLimit; })
              .sort(function (a, b) { return b[0].length - a[0].length; })
              .slice(0, sc.max_words).forEach(function (x) { best[x[0]] = true; });
            words = words.filter(function (x) { return best[x[0]]; });
          }
          var exactBlocks = {};
          exact.forEach(function (x) { Object.assign(exactBlocks, blocksOf(x[1])); });
          var cand = null;
          function inter(a, b) { var o = {}; Object.keys(a).forEach(function (k) { if (b[k]) { o[k] = true; } }); return o; }
          if (req.length) {
            req.forEach(function (x) { cand = cand === null ? blocksOf(x[1]) : inter(cand, blocksOf(x[1])); });
            cand = Object.assign({}, cand, exactBlocks);
          } else if (exact.length) {
            cand = Object.assign({}, exactBlocks);
          } else {
            flt.forEach(function (x) { cand = cand === null ? blocksOf(x[1]) : inter(cand, blocksOf(x[1])); });
          }
          flt.forEach(function (x) { cand = inter(cand, blocksOf(x[1])); });
          var keys = Object.keys(cand).map(Number);
          var desc = function (a, b) { return b - a; };
          var order = keys.filter(function (b) { return exactBlocks[b]; }).sort(desc)
            .concat(keys.filter(function (b) { return !exactBlocks[b]; }).sort(desc));
          var need = sort === "date" ? page * size + 1 : Math.max(page * size + 1, RELEVANCE_POOL);
          var idfs = {};
          req.concat(words).forEach(function (x) { if (x[1]) { idfs[x[0]] = idf(x[1][0], n); } });
          var scale = (sc.k1 + 1) / sc.q_max;
          var found = [], done = 0, exhausted = false;

          // query.py _score_all: BM25 from the impact bytes, for the documents having every term.
          function scoreAll(segs, scores, flags) {
            if (segs.some(function (s) { return !s; })) { return; }
            var sorted = segs.slice().sort(function (a, b) { return a.ords.length - b.ords.length; });
            var common = new Set(sorted[0].ords);
            sorted.slice(1).forEach(function (s) {
              var set = new Set(s.ords), next = new Set();
              common.forEach(function (o) { if (set.has(o)) { next.add(o); } });
              common = next;
            });
            segs.forEach(function (s, k) {
              var w = idfs[req[k][0]];
              for (var j = 0; j < s.ords.length; j++) {
                var o = s.ords[j], im = s.imps[j];
                if (!common.has(o)) { continue; }
                var add = w * (im >> 2) * scale * (1 + sc.title * (im & 1));
                scores.set(o, (scores.get(o) || 0) + add);
                flags.set(o, im & 2);
              }
            });
          }
          // query.py _word_bonus: the query's best words found in the titles of the block's matches.
          function wordBonus(block, scores) {
            if (!scores.size) { return Promise.resolve(); }
            return Promise.all(words.map(function (x) { return segFor(x[1], block); })).then(function (segs) {
              segs.forEach(function (s, k) {
                if (!s) { return; }
                var bonus = sc.word * idfs[words[k][0]];
                for (var j = 0; j < s.ords.length; j++) {
                  if (scores.has(s.ords[j])) { scores.set(s.ords[j], scores.get(s.ords[j]) + bonus); }
                }
              });
            });
          }
          // query.py _title_matches: the documents whose title contains the whole query, from the
          // query's rarest title bigrams (t: lists), checked against at most title_verify titles.
          function pagePostings(e, blocks) {
            var pages = {}, n = 0;
            e[1].forEach(function (seg) {
              if (seg[2].charAt(0) === "@" && (blocks === null || blocks[seg[0]])) { pages[seg[2].split(":")[0]] = true; }
            });
            e[1].forEach(function (seg) { if (seg[2].charAt(0) === "@" && pages[seg[2].split(":")[0]]) { n += seg[1]; } });
            return n;
          }
          function titleMatches() {
            var bg = terms.required.filter(function (t) { return t.length === 2 && CJK_PAIR.test(t); });
            if (bg.length < 2) { return Promise.resolve({}); }
            return entries(bg.map(function (t) { return "t:" + t; })).then(function (all) {
              if (!all.every(function (x) { return x[1]; })) { return {}; }
              var lists = all.map(function (x) { return x[1]; }).sort(function (a, b) { return a[0] - b[0]; });
              var cand = null, used = 0, budget = Math.min(sc.title_postings, sc.title_per_bigram * bg.length);
              var phrase = terms.folded.split(/\s+/).join("");
              var years = phraseYears(phrase, sc.first_year), read = [];
              function step(i) {
                if (i >= lists.length || read.length >= sc.title_lists) { return Promise.resolve(); }
                var df = lists[i][0];
                // A list about as long as one already read is most likely the same word's next bigram.
                if (read.some(function (d) { return Math.abs(df - d) <= sc.title_same_df * d; })) { return step(i + 1); }
                var blocks = null;
                if (cand !== null) {
                  blocks = {};
                  cand.forEach(function (_f, o) { blocks[Math.floor(o / manifest.block)] = true; });
                }
                var cost = pagePostings(lists[i], blocks);  // query.py _page_postings
                if (used + cost > budget) { return step(i + 1); }
                used += cost;
                read.push(df);
                var segs = lists[i][1].filter(function (seg) { return blocks === null || blocks[seg[0]]; });
                return Promise.all(segs.map(segment)).then(function (parts) {
                  var got = new Map();
                  parts.forEach(function (p) { for (var j = 0; j < p.ords.length; j++) { got.set(p.ords[j], p.imps[j]); } });
                  if (cand === null) {
                    cand = new Map();
                    got.forEach(function (im, o) { if (titleYearFits(im, years)) { cand.set(o, im); } });
                  } else {
                    var next = new Map();
                    cand.forEach(function (f, o) { if (got.has(o)) { next.set(o, f); } });
                    cand = next;
                  }
                  if (cand.size > sc.title_verify) { return step(i + 1); }
                });
              }
              return step(0).then(function () {
                if (cand === null || cand.size > sc.title_verify) { return {}; }
                var ords = Array.from(cand.keys()).sort(function (a, b) { return a - b; });
                return Promise.all(ords.map(metaRow)).then(function (rows) {
                  var out = {};
                  rows.forEach(function (row, k) {
                    var title = row ? (row.folded_title || widthCase(row.title)) : "";
                    if (row && title.split(/\s+/).join("").indexOf(phrase) >= 0) { out[ords[k]] = cand.get(ords[k]) & 2; }
                  });
                  return out;
                });
              });
            });
          }
          // query.py _boost_titles
          function boostTitles(matches) {
            var seen = {};
            found = found.map(function (x) {
              seen[x[2]] = true;
              return Object.prototype.hasOwnProperty.call(matches, x[2]) ? [x[0] + sc.phrase, x[1], x[2]] : x;
            });
            Object.keys(matches).map(Number).forEach(function (o) {
              if (!seen[o]) { found.push([sc.phrase, matches[o], o]); }
            });
          }

          function doBlock(i) {
            if (i >= order.length) { return Promise.resolve(); }
            var block = order[i];
            var scores = new Map(), flags = new Map();
            var step = Promise.resolve();
            if (req.length && reqOk) {
              step = Promise.all(req.map(function (x) { return segFor(x[1], block); })).then(function (segs) {
                scoreAll(segs, scores, flags);
              });
            } else if (!req.length && !exact.length) {
              step = segFor(flt[0][1], block).then(function (s) {
                for (var j = 0; j < s.ords.length; j++) { scores.set(s.ords[j], 0); flags.set(s.ords[j], s.imps[j] & 2); }
              });
            }
            return step.then(function () {
              return Promise.all(exact.map(function (x) { return segFor(x[1], block); }));
            }).then(function (segs) {
              segs.forEach(function (s) {
                if (!s) { return; }
                for (var j = 0; j < s.ords.length; j++) {
                  var o = s.ords[j];
                  scores.set(o, (scores.get(o) || 0) + sc.exact);
                  flags.set(o, s.imps[j] & 2);
                }
              });
              return Promise.all(flt.map(function (x) { return scores.size ? segFor(x[1], block) : null; }));
            }).then(function (segs) {
              segs.forEach(function (s) {
                if (!scores.size) { return; }
                var keep = new Set(s ? s.ords : []);
                scores.forEach(function (_v, o) { if (!keep.has(o)) { scores.delete(o); } });
              });
              return wordBonus(block, scores);
            }).then(function () {
              scores.forEach(function (s, o) { found.push([s, flags.get(o), o]); });
              done += 1;
              if ((found.length >= need || done >= limit) && !exactBlocks[block]) { return; }
              return doBlock(i + 1);
            });
          }

          // The title check first: when titles hold the whole query, the scan reads at most
          // title_scan_blocks blocks (query.py).
          var titled = {}, limit = order.length;
          var checked = req.length && reqOk && !flt.length && sort === "relevance" ? titleMatches() : Promise.resolve({});
          return checked.then(function (matches) {
            titled = matches;
            if (Object.keys(matches).length) { limit = sc.title_scan_blocks; }
            return doBlock(0);
          }).then(function () {
            exhausted = done === order.length;
            var total = exhausted ? found.length : Math.floor(found.length * order.length / done + 0.5);
            boostTitles(titled);
            return Math.max(total, found.length);
          }).then(function (total) {
            if (sort === "date") {
              found.sort(function (a, b) { return b[2] - a[2]; });
            } else {
              found.sort(function (a, b) {
                var sa = Math.round(a[0] * 1e6) / 1e6, sb = Math.round(b[0] * 1e6) / 1e6;
                return (sb - sa) || (a[1] - b[1]) || (b[2] - a[2]);
              });
            }
            if (!found.length) { return empty(params, page, terms, req); }
            var hits = found.slice((page - 1) * size, page * size);
            // query.py: a next page only when results for it were found.
            var hasNext = found.length > page * size;
            if (!hasNext) { total = found.length; }
            var pages = hasNext ? Math.ceil(total / size) : Math.min(page, Math.ceil(found.length / size));
            return Promise.all(hits.map(function (h) { return metaRow(h[2]); })).then(function (rows) {
              return { total: total, exact: exhausted, page: page, pages: pages, has_next: hasNext, terms: terms,
                results: rows.filter(Boolean), message: "", suggestions: [] };
            });
          });
        });
    });
  }

  function empty(params, page, terms, req) {
    var have = {};
    req.forEach(function (x) { have[x[0]] = !!x[1]; });
    var suggestions = [];
    (terms.folded.match(CJK) || []).forEach(function (run) {
      var best = "";
      for (var i = 0; i < run.length - 1; i++) {
        var j = i + 2;
        while (j <= run.length && (function () {
          for (var k = i; k < j - 1; k++) { if (!have[run.substr(k, 2)]) { return false; } }
          return true;
        })()) { j++; }
        if (j - 1 - i >= 2 && j - 1 - i > best.length) { best = run.slice(i, j - 1); }
      }
      if (best && best !== run && suggestions.indexOf(best) < 0) { suggestions.push(best); }
    });
    var hasFilter = FACETS.some(function (k) { return params[k]; });
    if (hasFilter && terms.folded && !suggestions.length) { suggestions.push(terms.folded); }
    return { total: 0, exact: true, results: [], page: page, pages: 0, terms: terms,
      message: "没有找到相关信息", suggestions: suggestions.slice(0, 5) };
  }

  // ---- highlighting (mirror of query.py:_Highlighter) ----------------------------------------
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" }[c];
    });
  }
  function marks(text, terms) {
    var pairs = {}, words = {};
    terms.required.forEach(function (t) { if (/^[a-z0-9]+$/.test(t)) { words[t] = true; } else { pairs[t] = true; } });
    var folded = "";
    for (var i = 0; i < text.length; i++) { var f = fold(text[i]); folded += f.length === 1 ? f : text[i]; }
    var m = new Array(text.length).fill(false);
    for (i = 0; i < folded.length - 1; i++) { if (pairs[folded.substr(i, 2)]) { m[i] = m[i + 1] = true; } }
    var re = /[a-z0-9]+/g, hit;
    while ((hit = re.exec(folded))) {
      if (words[hit[0]]) { for (var k = hit.index; k < hit.index + hit[0].length; k++) { m[k] = true; } }
    }
    return m;
  }
  function markHtml(text, m) {
    var out = "", open = false;
    for (var i = 0; i < text.length; i++) {
      if (m[i] && !open) { out += "<mark>"; } else if (!m[i] && open) { out += "</mark>"; }
      open = m[i];
      out += escapeHtml(text[i]);
    }
    return out + (open ? "</mark>" : "");
  }
  // query.py _Highlighter.doc_no: the number the query is (a 文号 of a joint field) marked whole.
  function docNoHtml(text, terms) {
    var parts = (text || "").split(new RegExp("(" + JOINT.source + ")"));
    function hit(part) {
      return docNoKeys(fold(part)).some(function (k) { return terms.exact.indexOf("#n:" + k) >= 0; });
    }
    if (!parts.some(function (p, i) { return i % 2 === 0 && hit(p); })) { return markHtml(text || "", marks(text || "", terms)); }
    return parts.map(function (p, i) { return i % 2 === 0 && hit(p) ? "<mark>" + escapeHtml(p) + "</mark>" : escapeHtml(p); }).join("");
  }
  function snippetHtml(text, terms) {
    var m = marks(text, terms);
    var first = m.indexOf(true);
    var start = Math.max(0, (first < 0 ? 0 : first) - 20), end = Math.min(text.length, start + SNIPPET_CHARS);
    return (start ? "…" : "") + markHtml(text.slice(start, end), m.slice(start, end)) + (end < text.length ? "…" : "");
  }

  // ---- the page ------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function readParams(form) {
    var p = { q: form.q.value || "", sort: form.sort.value || "relevance", page: 1 };
    FACETS.forEach(function (k) { p[k] = form[k].value || ""; });
    return p;
  }
  function writeUrl(p) {
    var qs = new URLSearchParams();
    ["q"].concat(FACETS).forEach(function (k) { if (p[k]) { qs.set(k, p[k]); } });
    if (p.sort !== "relevance") { qs.set("sort", p.sort); }
    if (p.page > 1) { qs.set("page", p.page); }
    history.replaceState(null, "", "/search/" + (qs.toString() ? "?" + qs : ""));
  }
  function fillFacets(form, selected) {
    FACETS.forEach(function (k) {
      var sel = form[k], values = manifest.facets[k] || {};
      var names = Object.keys(values);
      if (k === "year") { names.sort().reverse(); }
      sel.length = 1;  // keep “全部”
      names.forEach(function (v) {
        var opt = document.createElement("option");
        opt.value = v;
        sel.appendChild(opt);
      });
      sel.value = selected[k] || "";
    });
    labelFacets(form, selected);
  }
  // The counts in the filter lists are the whole site's: they are shown only while nothing is
  // searched or selected (then they are the truth); for a query the lists show plain names.
  function labelFacets(form, p) {
    var site = !(p.q || "").trim() && !FACETS.some(function (k) { return p[k]; });
    FACETS.forEach(function (k) {
      var values = manifest.facets[k] || {}, sel = form[k];
      for (var i = 1; i < sel.options.length; i++) {
        var v = sel.options[i].value;
        sel.options[i].textContent = site ? v + "（" + values[v] + "）" : v;
      }
    });
  }

  function render(p, res) {
    var status = $("search-status"), list = $("search-results"), pager = $("search-pager"), none = $("search-empty");
    list.innerHTML = "";
    pager.hidden = true;
    none.hidden = true;
    if (!res.results.length) {
      status.textContent = res.message || "";
      if (res.message === "没有找到相关信息") {
        none.hidden = false;
        var sugg = $("search-suggestions");
        sugg.innerHTML = "";
        res.suggestions.forEach(function (s) {
          var li = document.createElement("li"), a = document.createElement("a");
          a.href = "/search/?q=" + encodeURIComponent(s);
          a.textContent = s;
          a.addEventListener("click", function (ev) {
            ev.preventDefault();
            var form = $("search-page-form");
            form.q.value = s;
            FACETS.forEach(function (k) { form[k].value = ""; });
            run(form, 1);
          });
          li.appendChild(a);
          sugg.appendChild(li);
        });
      }
      return;
    }
    status.textContent = (res.exact ? "共找到 " : "共找到约 ") + res.total + " 条结果，第 " + res.page + "/" + res.pages + " 页";
    res.results.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "search-hit";
      var meta = [escapeHtml(r.organ || ""), escapeHtml(r.published || ""), r.doc_no ? docNoHtml(r.doc_no, res.terms) : "",
        escapeHtml(r.category || ""), escapeHtml(r.validity || "")].filter(Boolean).join(" · ");
      li.innerHTML = '<h2 class="search-hit-title"><a href="' + escapeHtml(r.url) + '">' +
        markHtml(r.title, marks(r.title, res.terms)) + "</a>" +
        (r.validity && r.validity !== "有效" ? ' <span class="badge">' + escapeHtml(r.validity) + "</span>" : "") +
        '</h2><p class="search-hit-snippet">' + snippetHtml(r.excerpt || "", res.terms) + "</p>" +
        '<p class="search-hit-meta">' + meta + "</p>";
      list.appendChild(li);
    });
    // The pager only when there is another page: a next one with results, or one before.
    if (res.has_next || res.page > 1) {
      pager.hidden = false;
      $("search-prev").hidden = res.page <= 1;
      $("search-next").hidden = !res.has_next;
      $("search-page-info").textContent = "第 " + res.page + " / " + res.pages + " 页";
    }
  }

  var seq = 0, current = null;
  function run(form, page) {
    var p = readParams(form);
    p.page = page || 1;
    current = p;
    writeUrl(p);
    labelFacets(form, p);
    var mine = ++seq;
    var t0 = performance.now();
    if (!p.q.trim() && !FACETS.some(function (k) { return p[k]; })) {
      render(p, { results: [], message: "", suggestions: [] });
      return Promise.resolve();
    }
    $("search-status").textContent = "正在搜索…";
    return search(p).then(function (res) {
      if (mine !== seq) { return; }
      render(p, res);
      window.govsiteSearch.last = { query: p.q, started: t0, rendered: performance.now(), total: res.total };
    }).catch(function (err) {
      if (mine !== seq) { return; }
      $("search-status").textContent = "搜索暂时不可用，请稍后再试（" + err.message + "）";
    });
  }

  function init() {
    var form = $("search-page-form");
    if (!form || !window.fetch || !window.DecompressionStream) { return; }  // the form falls back to the server
    var params = new URLSearchParams(location.search);
    var initial = { q: params.get("q") || "", sort: params.get("sort") || "relevance" };
    FACETS.forEach(function (k) { initial[k] = params.get(k) || ""; });
    loadManifest().then(function () {
      fillFacets(form, initial);
      form.q.value = initial.q;
      form.sort.value = initial.sort === "date" ? "date" : "relevance";
      var timer = null;
      form.q.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { run(form, 1); }, 150);
      });
      form.addEventListener("change", function (ev) { if (ev.target !== form.q) { run(form, 1); } });
      form.addEventListener("submit", function (ev) { ev.preventDefault(); run(form, 1); });
      $("search-prev").addEventListener("click", function () { run(form, current.page - 1); });
      $("search-next").addEventListener("click", function () { run(form, current.page + 1); });
      var headerQ = document.getElementById("site-search-q");
      if (headerQ && initial.q) { headerQ.value = initial.q; }
      if (initial.q || FACETS.some(function (k) { return initial[k]; })) {
        run(form, Math.max(1, parseInt(params.get("page") || "1", 10) || 1));
      }
      document.documentElement.classList.add("search-ready");
    }).catch(function () { /* no index: the server fallback form still works */ });
  }

  // useIndex: the golden-file test (tests/test_search_golden.py) runs queryTerms outside a browser.
  function useIndex(m, map) { manifest = m; Object.keys(map || {}).forEach(function (k) { t2s[k] = map[k]; }); }
  window.govsiteSearch = { queryTerms: queryTerms, search: search, fold: fold, useIndex: useIndex, last: null };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
