import zlib from 'node:zlib';

/**
 * Images for the shield's tests and its adversarial generator (scripts/shield/make-adversarial.ts),
 * with nothing but Node: RGB pictures as plain arrays, PNG written and read (8-bit RGB or RGBA,
 * every filter), a Y4M clip for Chromium's `--use-file-for-fake-video-capture`, and the neutral
 * pictures the shipped model must not call sexual.
 */

/** Row-major RGB, one byte per channel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function blank(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

// ---- PNG --------------------------------------------------------------------

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** An 8-bit RGB PNG, every row unfiltered (filter 0): the noise of an adversarial image compresses badly anyway. */
export function encodePng(image: RgbImage): Buffer {
  const { width, height, data } = image;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(data.buffer, data.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Reads an 8-bit, non-interlaced RGB or RGBA PNG (alpha dropped); anything else is refused. */
export function decodePng(file: Uint8Array): RgbImage {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('ascii', offset + 4, offset + 8);
    const body = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0)
        throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
      channels = colour === 2 ? 3 : 4;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + x] = (row[x]! + predicted) & 0xff;
    }
  }
  if (channels === 3) return { width, height, data: pixels };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(pixels.subarray(i * 4, i * 4 + 3), i * 3);
  return { width, height, data: rgb };
}

// ---- Y4M ----------------------------------------------------------------------

/**
 * A Y4M clip of `frames` copies of `image` (4:2:0, BT.601 limited range, as Chromium's file
 * capturer expects), `fps` frames a second. Chromium loops the file, so a short clip is a still
 * camera. The width and height must be even.
 */
export function encodeY4m(image: RgbImage, options: { frames?: number; fps?: number } = {}): Buffer {
  const { width, height, data } = image;
  if (width % 2 || height % 2) throw new Error('Y4M 4:2:0 needs an even width and height');
  const frames = options.frames ?? 10;
  const fps = options.fps ?? 30;
  const y = new Uint8Array(width * height);
  const u = new Uint8Array((width / 2) * (height / 2));
  const v = new Uint8Array((width / 2) * (height / 2));
  const clamp = (n: number) => Math.max(0, Math.min(255, Math.round(n)));
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = (row * width + col) * 3;
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      y[row * width + col] = clamp(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
  }
  for (let row = 0; row < height; row += 2) {
    for (let col = 0; col < width; col += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        const i = ((row + dy) * width + col + dx) * 3;
        r += data[i]!;
        g += data[i + 1]!;
        b += data[i + 2]!;
      }
      [r, g, b] = [r / 4, g / 4, b / 4];
      const at = (row / 2) * (width / 2) + col / 2;
      u[at] = clamp(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      v[at] = clamp(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}

/** Bilinear resize (centres aligned), for making the camera clip larger than the PNG. */
export function resize(image: RgbImage, width: number, height: number): RgbImage {
  const out = blank(width, height);
  for (let y = 0; y < height; y++) {
    const sy = Math.max(0, Math.min(image.height - 1, ((y + 0.5) * image.height) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.max(0, Math.min(image.width - 1, ((x + 0.5) * image.width) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => image.data[(yy * image.width + xx) * 3 + c]!;
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bottom = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        out.data[(y * width + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

// ---- neutral pictures -----------------------------------------------------------

type Rgb = readonly [number, number, number];

function fill(image: RgbImage, paint: (x: number, y: number) => Rgb): RgbImage {
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) image.data.set(paint(x, y), (y * image.width + x) * 3);
  }
  return image;
}

export function solid(colour: Rgb, size = 224): RgbImage {
  return fill(blank(size, size), () => colour);
}

export function gradient(from: Rgb, to: Rgb, size = 224): RgbImage {
  return fill(blank(size, size), (x, y) => {
    const t = (x + y) / (2 * (size - 1));
    return [0, 1, 2].map((c) => Math.round(from[c]! * (1 - t) + to[c]! * t)) as unknown as Rgb;
  });
}

/** 5×7 bitmap glyphs, enough for a line of text. */
const GLYPHS: Record<string, string[]> = {
  H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
  O: ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  W: ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
  R: ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
  D: ['11110', '10001', '10001', '10001', '10001', '10001', '11110'],
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  K: ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
};

/** Black text on white, lines of bitmap glyphs at `scale` pixels a dot. */
export function text(lines: string[], size = 224, scale = 4): RgbImage {
  const image = solid([255, 255, 255], size);
  lines.forEach((line, row) => {
    [...line].forEach((char, col) => {
      const glyph = GLYPHS[char] ?? GLYPHS[' ']!;
      glyph.forEach((bits, gy) => {
        [...bits].forEach((bit, gx) => {
          if (bit !== '1') return;
          for (let dy = 0; dy < scale; dy++) {
            for (let dx = 0; dx < scale; dx++) {
              const x = 8 + (col * 6 + gx) * scale + dx;
              const y = 16 + (row * 9 + gy) * scale + dy;
              if (x < size && y < size) image.data.set([0, 0, 0], (y * size + x) * 3);
            }
          }
        });
      });
    });
  });
  return image;
}

/** A drawn face on a plain background: a skin-toned oval, eyes, brows, nose, mouth, hair, shoulders in a shirt. */
export function face(size = 224): RgbImage {
  const s = size / 224;
  const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) =>
    ((x - cx * s) / (rx * s)) ** 2 + ((y - cy * s) / (ry * s)) ** 2 <= 1;
  return fill(blank(size, size), (x, y) => {
    if (inEllipse(x, y, 90, 112, 9, 5) || inEllipse(x, y, 134, 112, 9, 5)) return [40, 30, 30]; // eyes
    if (Math.abs(y - 96 * s) < 3 * s && (Math.abs(x - 90 * s) < 12 * s || Math.abs(x - 134 * s) < 12 * s))
      return [70, 45, 30]; // brows
    if (inEllipse(x, y, 112, 160, 20, 6)) return [170, 60, 60]; // mouth
    if (inEllipse(x, y, 112, 136, 5, 10)) return [200, 150, 120]; // nose
    if (inEllipse(x, y, 112, 120, 48, 62)) return [226, 184, 150]; // face
    if (inEllipse(x, y, 112, 100, 56, 64) && y < 120 * s) return [60, 40, 25]; // hair
    if (y > 182 * s && inEllipse(x, y, 112, 240, 100, 60)) return [40, 80, 160]; // shirt
    if (y > 170 * s && inEllipse(x, y, 112, 190, 18, 20)) return [226, 184, 150]; // neck
    return [180, 200, 215]; // wall
  });
}

/** Every neutral picture the tests show the model, by name. */
export function neutralImages(size = 224): Record<string, RgbImage> {
  return {
    black: solid([0, 0, 0], size),
    white: solid([255, 255, 255], size),
    grey: solid([128, 128, 128], size),
    red: solid([220, 30, 30], size),
    green: solid([30, 200, 60], size),
    'skin tone': solid([226, 184, 150], size),
    'blue gradient': gradient([10, 20, 90], [200, 220, 255], size),
    'warm gradient': gradient([120, 40, 20], [250, 210, 160], size),
    text: text(['HELLO WORLD', 'SMALL TALK', 'MEET ADA'], size),
    face: face(size),
  };
}
