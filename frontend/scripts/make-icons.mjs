// Draws the PWA icons (a terminal prompt "›_" on slate) as real PNGs with only Node's built-in
// modules, so the icons can be regenerated anywhere without an image toolchain.
// Run: node scripts/make-icons.mjs  (writes into public/icons/)
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Signed distances in unit coordinates (0..1); negative is inside.
const roundedBox = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const segment = (x, y, ax, ay, bx, by, w) => {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const h = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * h, py - dy * h) - w;
};

const SLATE = [15, 23, 42];
const SKY = [56, 189, 248];
const WHITE = [248, 250, 252];

function draw(size, { maskable }) {
  const px = Buffer.alloc(size * size * 4);
  // Maskable icons may be cropped to a circle of 80% diameter: keep the glyph inside it.
  const scale = maskable ? 0.72 : 1;
  const aa = 1.2 / size;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = (i + 0.5) / size, y = (j + 0.5) / size;
      const gx = 0.5 + (x - 0.5) / scale, gy = 0.5 + (y - 0.5) / scale;
      let color = [...SLATE];
      let alpha = 1;
      if (!maskable) {
        const d = roundedBox(x, y, 0.5, 0.5, 0.5, 0.5, 0.22);
        alpha = Math.max(0, Math.min(1, 0.5 - d / aa));
      }
      const stroke = 0.055;
      const chevron = Math.min(
        segment(gx, gy, 0.27, 0.32, 0.47, 0.5, stroke),
        segment(gx, gy, 0.47, 0.5, 0.27, 0.68, stroke),
      );
      const underscore = segment(gx, gy, 0.55, 0.68, 0.74, 0.68, stroke);
      const mix = (c, d) => {
        const t = Math.max(0, Math.min(1, 0.5 - d / (aa / scale)));
        color = color.map((v, k) => v + (c[k] - v) * t);
      };
      mix(SKY, chevron);
      mix(WHITE, underscore);
      const o = (j * size + i) * 4;
      px[o] = Math.round(color[0]);
      px[o + 1] = Math.round(color[1]);
      px[o + 2] = Math.round(color[2]);
      px[o + 3] = Math.round(alpha * 255);
    }
  }
  return png(size, px);
}

mkdirSync(out, { recursive: true });
const files = [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['icon-maskable-512.png', 512, true],
  ['apple-touch-icon.png', 180, true],
];
for (const [name, size, maskable] of files) {
  writeFileSync(join(out, name), draw(size, { maskable }));
  console.log(`wrote public/icons/${name} (${size}x${size})`);
}
