// Writes vectors.json: invented texts compressed by the reference lz-string (npm lz-string 1.5.0,
// pieroxy, MIT licence). Run: npm install lz-string@1.5.0 && node make_vectors.js > vectors.json
const LZ = require("lz-string");
const texts = [
  JSON.stringify({sid: "r-20931", dev: {gaid: "3f9e2c71-55d0-4b8e-a1c4-9d07e6b2f318", model: "Pixel 8a"}, pos: [-23.55052, -46.63331]}),
  JSON.stringify({u: "lena.okafor@example.net", n: "李雷的平板", e: "🙂"}),
  "a",
  "",
  JSON.stringify({events: Array.from({length: 60}, (_, i) => ({n: "screen_view", i, t: 1714000000000 + i * 997}))}),
];
// Long (slow to decode in pure Python, for the time-limit test): its base64 form only.
const long = JSON.stringify({events: Array.from({length: 3000}, (_, i) => ({n: `screen_${i % 37}`, i, r: (i * 7919 % 100003).toString(16)}))});
console.log(JSON.stringify({
  vectors: texts.map((text) => ({
    text,
    base64: LZ.compressToBase64(text),
    uri: LZ.compressToEncodedURIComponent(text),
    utf16: LZ.compressToUTF16(text),
  })),
  long: {length: long.length, base64: LZ.compressToBase64(long)},
}, null, 1));
