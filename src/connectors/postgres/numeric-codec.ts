/**
 * PG `numeric` binary form ⇄ its exact text form, byte by byte (no JS numbers, no strings).
 * Binary: int16 ndigits, int16 weight, uint16 sign, uint16 dscale, then ndigits base-10000 digits.
 * The text we produce is what numeric_out prints; the binary we produce is what numeric_send would
 * send for that text (digits stripped of leading/trailing zero groups), so a decode→encode round
 * trip reproduces PG's bytes.
 */
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

const CH_0 = 48;
const CH_MINUS = 45;
const CH_PLUS = 43;
const CH_DOT = 46;

const NAN_TEXT = [78, 97, 78]; // NaN
const INF_TEXT = [73, 110, 102, 105, 110, 105, 116, 121]; // Infinity

function u16(buf: Uint8Array, p: number): number {
  return (buf[p]! << 8) | buf[p + 1]!;
}
function i16(buf: Uint8Array, p: number): number {
  return (((buf[p]! << 8) | buf[p + 1]!) << 16) >> 16;
}

/** Upper bound of the text length of the binary numeric at `p`. */
export function numericTextMaxLength(buf: Uint8Array, p: number): number {
  const weight = i16(buf, p + 2);
  const dscale = u16(buf, p + 6);
  return 12 + (weight >= 0 ? (weight + 1) * 4 : 0) + dscale + 4;
}

/** Writes the text of the binary numeric at buf[p..p+len) into out at o; returns the end offset. */
export function writeNumericText(buf: Uint8Array, p: number, len: number, out: Uint8Array, o: number): number {
  if (len < 8) throw new RangeError('numeric value shorter than its header');
  const ndigits = i16(buf, p);
  const weight = i16(buf, p + 2);
  const sign = u16(buf, p + 4);
  const dscale = u16(buf, p + 6);
  if (8 + ndigits * 2 !== len) throw new RangeError('numeric digit count does not match its length');
  if (sign === NUMERIC_NAN) return copyAscii(NAN_TEXT, out, o);
  if (sign === NUMERIC_PINF) return copyAscii(INF_TEXT, out, o);
  if (sign === NUMERIC_NINF) {
    out[o++] = CH_MINUS;
    return copyAscii(INF_TEXT, out, o);
  }
  const dp = p + 8;
  if (sign === NUMERIC_NEG) out[o++] = CH_MINUS;
  let d: number;
  if (weight < 0) {
    d = weight + 1;
    out[o++] = CH_0;
  } else {
    for (d = 0; d <= weight; d++) {
      const dig = d < ndigits ? u16(buf, dp + d * 2) : 0;
      if (d === 0) {
        // First group without leading zeros (but at least one digit).
        if (dig >= 1000) out[o++] = CH_0 + ((dig / 1000) | 0);
        if (dig >= 100) out[o++] = CH_0 + (((dig / 100) | 0) % 10);
        if (dig >= 10) out[o++] = CH_0 + (((dig / 10) | 0) % 10);
        out[o++] = CH_0 + (dig % 10);
      } else {
        o = put4(dig, out, o);
      }
    }
  }
  if (dscale > 0) {
    out[o++] = CH_DOT;
    const end = o + dscale;
    for (let i = 0; i < dscale; d++, i += 4) {
      const dig = d >= 0 && d < ndigits ? u16(buf, dp + d * 2) : 0;
      o = put4(dig, out, o);
    }
    o = end; // the last group may have printed digits past dscale
  }
  return o;
}

function put4(dig: number, out: Uint8Array, o: number): number {
  out[o] = CH_0 + ((dig / 1000) | 0);
  out[o + 1] = CH_0 + (((dig / 100) | 0) % 10);
  out[o + 2] = CH_0 + (((dig / 10) | 0) % 10);
  out[o + 3] = CH_0 + (dig % 10);
  return o + 4;
}

function copyAscii(text: number[], out: Uint8Array, o: number): number {
  for (let i = 0; i < text.length; i++) out[o++] = text[i]!;
  return o;
}

function matchesWord(src: Uint8Array, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if ((src[s + i]! | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Parses numeric text (PG's input syntax: sign, digits, point, exponent, NaN/Infinity) into the
 * binary form. Reusable: one parser per encoder column, no allocation per value.
 */
export class NumericParser {
  private dec = new Uint8Array(64);
  private digits = new Int32Array(16);
  ndigits = 0;
  weight = 0;
  sign = NUMERIC_POS;
  dscale = 0;

  /** Returns false when src[s..e) is not a valid numeric. */
  parse(src: Uint8Array, s: number, e: number): boolean {
    while (s < e && src[s] === 32) s++;
    while (e > s && src[e - 1] === 32) e--;
    let neg = false;
    if (s < e && (src[s] === CH_MINUS || src[s] === CH_PLUS)) {
      neg = src[s] === CH_MINUS;
      s++;
    }
    this.ndigits = 0;
    this.weight = 0;
    this.dscale = 0;
    if (s < e && !(src[s]! >= CH_0 && src[s]! <= CH_0 + 9) && src[s] !== CH_DOT) {
      if (matchesWord(src, s, e, 'nan') && !neg) return this.special(NUMERIC_NAN);
      if (matchesWord(src, s, e, 'infinity') || matchesWord(src, s, e, 'inf')) return this.special(neg ? NUMERIC_NINF : NUMERIC_PINF);
      return false;
    }
    if (this.dec.length < e - s) this.dec = new Uint8Array((e - s) * 2);
    const dec = this.dec;
    let nd = 0;
    let dweight = -1;
    let dscale = 0;
    let haveDp = false;
    let i = s;
    for (; i < e; i++) {
      const c = src[i]!;
      if (c >= CH_0 && c <= CH_0 + 9) {
        dec[nd++] = c - CH_0;
        if (haveDp) dscale++;
        else dweight++;
      } else if (c === CH_DOT && !haveDp) {
        haveDp = true;
      } else if (c === 95 /* _ */ && nd > 0 && i + 1 < e && src[i + 1]! >= CH_0 && src[i + 1]! <= CH_0 + 9) {
        continue; // PG 16 accepts digit-group underscores
      } else {
        break;
      }
    }
    if (nd === 0) return false;
    if (i < e) {
      if ((src[i]! | 0x20) !== 101 /* e */) return false;
      i++;
      let eneg = false;
      if (i < e && (src[i] === CH_MINUS || src[i] === CH_PLUS)) {
        eneg = src[i] === CH_MINUS;
        i++;
      }
      if (i >= e) return false;
      let exp = 0;
      for (; i < e; i++) {
        const c = src[i]!;
        if (c < CH_0 || c > CH_0 + 9) return false;
        exp = exp * 10 + (c - CH_0);
        if (exp > 1000000) return false;
      }
      if (eneg) exp = -exp;
      dweight += exp;
      dscale -= exp;
      if (dscale < 0) dscale = 0;
    }
    // Same alignment as PG's set_var_from_str: pad with `offset` zeros so groups of 4 line up.
    const weight = dweight >= 0 ? Math.floor((dweight + 4) / 4) - 1 : -(Math.floor((-dweight - 1) / 4) + 1);
    const offset = (weight + 1) * 4 - (dweight + 1);
    let ndigits = Math.floor((nd + offset + 3) / 4);
    if (this.digits.length < ndigits) this.digits = new Int32Array(ndigits * 2);
    const digits = this.digits;
    for (let g = 0; g < ndigits; g++) {
      let v = 0;
      for (let k = 0; k < 4; k++) {
        const di = g * 4 + k - offset;
        v = v * 10 + (di >= 0 && di < nd ? dec[di]! : 0);
      }
      digits[g] = v;
    }
    // strip_var: leading and trailing zero groups.
    let first = 0;
    let w = weight;
    while (first < ndigits && digits[first] === 0) {
      first++;
      w--;
    }
    while (ndigits > first && digits[ndigits - 1] === 0) ndigits--;
    if (first > 0) digits.copyWithin(0, first, ndigits);
    ndigits -= first;
    this.ndigits = ndigits;
    this.weight = ndigits === 0 ? 0 : w;
    this.sign = ndigits === 0 || !neg ? NUMERIC_POS : NUMERIC_NEG;
    this.dscale = dscale;
    if (dscale > 0x3fff || this.weight > 0x7fff || this.weight < -0x8000) return false;
    return true;
  }

  private special(sign: number): boolean {
    this.sign = sign;
    // numeric_send reads the display scale of ±Infinity out of the short header's bits, which
    // yields 32 (numeric_recv ignores it); we send the same so a round trip is byte-identical.
    this.dscale = sign === NUMERIC_NAN ? 0 : 32;
    return true;
  }

  byteLength(): number {
    return 8 + this.ndigits * 2;
  }

  write(out: Uint8Array, o: number): number {
    const { ndigits, weight, sign, dscale, digits } = this;
    out[o] = ndigits >> 8;
    out[o + 1] = ndigits;
    out[o + 2] = weight >> 8;
    out[o + 3] = weight;
    out[o + 4] = sign >> 8;
    out[o + 5] = sign;
    out[o + 6] = dscale >> 8;
    out[o + 7] = dscale;
    o += 8;
    for (let i = 0; i < ndigits; i++) {
      const d = digits[i]!;
      out[o++] = d >> 8;
      out[o++] = d;
    }
    return o;
  }
}
