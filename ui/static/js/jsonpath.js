// Where each value of a JSON text is, by the JSON path Marathon names in a 422's details:
// "/container/volumes(0)/external/name", "/labels(\"a/b\")" for keys with a slash. Lenient: on
// text that is not JSON it returns what it found before the error.
export function jsonPathRanges(text) {
  const ranges = new Map();
  let i = 0;
  const space = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path) => {
    space();
    const start = i;
    if (text[i] === "{") {
      i++;
      space();
      if (text[i] === "}") i++;
      else {
        for (;;) {
          space();
          const key = string();
          space();
          i++;  // ':'
          const child = key.includes("/") ? `${path}("${key}")` : `${path}/${key}`;
          value(child);
          space();
          if (text[i++] !== ",") break;
        }
      }
    } else if (text[i] === "[") {
      i++;
      space();
      if (text[i] === "]") i++;
      else {
        for (let n = 0; ; n++) {
          value(`${path}(${n})`);
          space();
          if (text[i++] !== ",") break;
        }
      }
    } else if (text[i] === '"') {
      string();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    }
    ranges.set(path || "/", [start, i]);
  };
  try { value(""); } catch { /* keep what was found */ }
  return ranges;
}

// The range of `path`, or of its nearest ancestor that the text has (a missing field's parent).
export function locate(text, path) {
  const ranges = jsonPathRanges(text);
  for (let p = path; p; p = p.replace(/(\/[^/]*|\([^()]*\))$/, "")) {
    if (ranges.has(p)) return ranges.get(p);
  }
  return ranges.get("/") || null;
}
