/**
 * A ZIP archive of a few files, deflated (the platform's downloads, 9102: "TXT文件的ZIP压缩包").
 * Written here from the format's description (PKWARE APPNOTE 4.3: local headers, central
 * directory, end record), UTF-8 names (general-purpose flag bit 11), no ZIP64 (files < 4 GiB).
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export function zipFiles(files: { name: string; data: Buffer }[], at = new Date()): Buffer {
  const dosTime = ((at.getHours() & 31) << 11) | ((at.getMinutes() & 63) << 5) | ((at.getSeconds() / 2) & 31);
  const dosDate = (((at.getFullYear() - 1980) & 127) << 9) | (((at.getMonth() + 1) & 15) << 5) | (at.getDate() & 31);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const packed = deflateRawSync(f.data);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** The files of a ZIP archive (stored or deflated entries), read by its central directory; null when `data` is not a ZIP. */
export function unzipFiles(data: Buffer): { name: string; data: Buffer }[] | null {
  if (data.length < 4 || data.readUInt32LE(0) !== 0x04034b50) return null;
  if (data.length < 22) throw new RangeError('truncated archive');
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65535); i--)
    if (data.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  if (end < 0) throw new RangeError('no end of central directory');
  const count = data.readUInt16LE(end + 10);
  let p = data.readUInt32LE(end + 16);
  const out: { name: string; data: Buffer }[] = [];
  for (let k = 0; k < count; k++) {
    if (data.readUInt32LE(p) !== 0x02014b50) throw new RangeError('bad central directory entry');
    const method = data.readUInt16LE(p + 10);
    const size = data.readUInt32LE(p + 20);
    const nameLen = data.readUInt16LE(p + 28);
    const extraLen = data.readUInt16LE(p + 30);
    const commentLen = data.readUInt16LE(p + 32);
    const local = data.readUInt32LE(p + 42);
    const name = data.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (data.readUInt32LE(local) !== 0x04034b50) throw new RangeError('bad local header');
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    const packed = data.subarray(start, start + size);
    if (method !== 0 && method !== 8) throw new RangeError(`compression method ${method} not supported`);
    if (name.endsWith('/')) continue;
    out.push({ name, data: method === 8 ? inflateRawSync(packed, { maxOutputLength: 64 << 20 }) : Buffer.from(packed) });
  }
  return out;
}
