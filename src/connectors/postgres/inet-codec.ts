/**
 * PG `inet`/`cidr` binary form ⇄ text, byte by byte.
 * Binary: family (2 = IPv4, 3 = IPv6), bits, is_cidr, address length, address bytes.
 * Text: dotted quad or RFC 5952 IPv6, with `/bits` when the prefix is not the full address or the
 * value is a cidr (as PG prints it). is_cidr is taken from the destination column's type on encode.
 */
const PGSQL_AF_INET = 2;
const PGSQL_AF_INET6 = 3;
const HEX = '0123456789abcdef';

/** Longest text we can produce: full IPv6 (39) + "/128". */
export const INET_TEXT_MAX = 44;

function putDecimal(v: number, out: Uint8Array, o: number): number {
  if (v >= 100) out[o++] = 48 + ((v / 100) | 0);
  if (v >= 10) out[o++] = 48 + (((v / 10) | 0) % 10);
  out[o++] = 48 + (v % 10);
  return o;
}

export function writeInetText(buf: Uint8Array, p: number, len: number, out: Uint8Array, o: number): number {
  const family = buf[p]!;
  const bits = buf[p + 1]!;
  const isCidr = buf[p + 2]! !== 0;
  const nb = buf[p + 3]!;
  const a = p + 4;
  if (family === PGSQL_AF_INET && nb === 4 && len === 8) {
    for (let i = 0; i < 4; i++) {
      if (i > 0) out[o++] = 46;
      o = putDecimal(buf[a + i]!, out, o);
    }
    if (isCidr || bits !== 32) o = putBits(bits, out, o);
    return o;
  }
  if (family !== PGSQL_AF_INET6 || nb !== 16 || len !== 20) throw new RangeError('malformed inet value');
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8; ) {
    if (buf[a + g * 2] === 0 && buf[a + g * 2 + 1] === 0) {
      let e = g;
      while (e < 8 && buf[a + e * 2] === 0 && buf[a + e * 2 + 1] === 0) e++;
      if (e - g > bestLen && e - g >= 2) {
        bestStart = g;
        bestLen = e - g;
      }
      g = e;
    } else {
      g++;
    }
  }
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out[o++] = 58;
      out[o++] = 58;
      g += bestLen - 1;
      continue;
    }
    if (g > 0 && g !== bestStart + bestLen) out[o++] = 58;
    const v = (buf[a + g * 2]! << 8) | buf[a + g * 2 + 1]!;
    let started = false;
    for (let shift = 12; shift >= 0; shift -= 4) {
      const nib = (v >> shift) & 15;
      if (nib !== 0 || started || shift === 0) {
        out[o++] = HEX.charCodeAt(nib);
        started = true;
      }
    }
  }
  if (isCidr || bits !== 128) o = putBits(bits, out, o);
  return o;
}

function putBits(bits: number, out: Uint8Array, o: number): number {
  out[o++] = 47;
  return putDecimal(bits, out, o);
}

/**
 * Parses inet text from src[s..e) and writes the binary form (8 or 20 bytes) into out at o.
 * Returns the end offset, or -1 when the text is not an address.
 */
export function writeInetBinary(src: Uint8Array, s: number, e: number, isCidr: boolean, out: Uint8Array, o: number): number {
  let slash = -1;
  let colon = false;
  for (let i = s; i < e; i++) {
    if (src[i] === 47) slash = i;
    else if (src[i] === 58) colon = true;
  }
  const addrEnd = slash >= 0 ? slash : e;
  const addr = o + 4;
  let ok: boolean;
  let max: number;
  if (colon) {
    ok = parseIpv6(src, s, addrEnd, out, addr);
    max = 128;
  } else {
    ok = parseIpv4(src, s, addrEnd, out, addr);
    max = 32;
  }
  if (!ok) return -1;
  let bits = max;
  if (slash >= 0) {
    if (slash + 1 >= e || e - slash > 4) return -1;
    bits = 0;
    for (let i = slash + 1; i < e; i++) {
      const c = src[i]!;
      if (c < 48 || c > 57) return -1;
      bits = bits * 10 + c - 48;
    }
    if (bits > max) return -1;
  }
  out[o] = colon ? PGSQL_AF_INET6 : PGSQL_AF_INET;
  out[o + 1] = bits;
  out[o + 2] = isCidr ? 1 : 0;
  out[o + 3] = colon ? 16 : 4;
  return addr + (colon ? 16 : 4);
}

function parseIpv4(src: Uint8Array, s: number, e: number, out: Uint8Array, o: number): boolean {
  let part = 0;
  let v = 0;
  let digits = 0;
  for (let i = s; i <= e; i++) {
    const c = i < e ? src[i]! : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[o + part++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      v = v * 10 + c - 48;
      digits++;
      if (v > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function parseIpv6(src: Uint8Array, s: number, e: number, out: Uint8Array, o: number): boolean {
  const groups = new Array<number>();
  let gap = -1;
  let i = s;
  if (e - s >= 2 && src[s] === 58 && src[s + 1] === 58) {
    gap = 0;
    i += 2;
  }
  while (i < e) {
    // An embedded IPv4 tail (e.g. ::ffff:1.2.3.4).
    let j = i;
    while (j < e && src[j] !== 58 && src[j] !== 46) j++;
    if (j < e && src[j] === 46) {
      const tmp = new Uint8Array(4);
      if (!parseIpv4(src, i, e, tmp, 0)) return false;
      groups.push((tmp[0]! << 8) | tmp[1]!, (tmp[2]! << 8) | tmp[3]!);
      i = e;
      break;
    }
    if (j === i || j - i > 4) return false;
    let v = 0;
    for (let k = i; k < j; k++) {
      const h = hexVal(src[k]!);
      if (h < 0) return false;
      v = (v << 4) | h;
    }
    groups.push(v);
    i = j;
    if (i < e) {
      i++; // ':'
      if (i < e && src[i] === 58) {
        if (gap >= 0) return false;
        gap = groups.length;
        i++;
      } else if (i === e) {
        return false;
      }
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const zeros = 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let v: number;
    if (gap >= 0 && k >= gap && k < gap + zeros) v = 0;
    else v = groups[g++]!;
    out[o + k * 2] = v >> 8;
    out[o + k * 2 + 1] = v & 255;
  }
  return true;
}
