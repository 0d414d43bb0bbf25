/// A minimal ELF64 little-endian reader for the DT_NEEDED entries of an executable.
struct ELFDynamic {
    enum Failure: Error { case notELF64, noDynamicSegment, badOffsets }

    /// The shared libraries `bytes` (a whole ELF file) names in its dynamic section.
    static func neededLibraries(_ bytes: [UInt8]) throws -> [String] {
        guard bytes.count > 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c,
              bytes[3] == 0x46, bytes[4] == 2, bytes[5] == 1 else { throw Failure.notELF64 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u64(_ at: Int) throws -> UInt64 {
            guard at >= 0, at + 8 <= bytes.count else { throw Failure.badOffsets }
            var value: UInt64 = 0
            for i in (0..<8).reversed() { value = value << 8 | UInt64(bytes[at + i]) }
            return value
        }
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let phoff = Int(try u64(0x20)), phentsize = u16(0x36), phnum = u16(0x38)
        var loads: [(vaddr: UInt64, offset: UInt64, size: UInt64)] = []
        var dynamic: (offset: Int, size: Int)?
        for i in 0..<phnum {
            let header = phoff + i * phentsize
            guard header + 56 <= bytes.count else { throw Failure.badOffsets }
            let type = u32(header)
            let offset = try u64(header + 8), vaddr = try u64(header + 16), size = try u64(header + 32)
            if type == 1 { loads.append((vaddr, offset, size)) }         // PT_LOAD
            if type == 2 { dynamic = (Int(offset), Int(size)) }          // PT_DYNAMIC
        }
        guard let dynamic else { throw Failure.noDynamicSegment }
        var needed: [UInt64] = []
        var strtab: UInt64?
        var at = dynamic.offset
        while at + 16 <= dynamic.offset + dynamic.size {
            let tag = try u64(at), value = try u64(at + 8)
            if tag == 0 { break }                                         // DT_NULL
            if tag == 1 { needed.append(value) }                          // DT_NEEDED
            if tag == 5 { strtab = value }                                // DT_STRTAB
            at += 16
        }
        guard let strtab,
              let segment = loads.first(where: { strtab >= $0.vaddr && strtab < $0.vaddr + $0.size })
        else { throw Failure.badOffsets }
        let base = Int(strtab - segment.vaddr + segment.offset)
        return try needed.map { offset in
            var end = base + Int(offset)
            let start = end
            while end < bytes.count && bytes[end] != 0 { end += 1 }
            guard end < bytes.count else { throw Failure.badOffsets }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }
}
