/// LuaJIT 2.1's serialization format for string buffers (`buf:encode`, `buffer.decode`).
///
/// Every value starts with a tag, written like a length (`wu124`: one byte below 0xe0, two
/// bytes `0xe0 | high, low` up to 0x1fdf, else 0xff and four little-endian bytes):
///
///     0x00 nil  0x01 false  0x02 true  0x03 NULL  0x05 light userdata (8 bytes)
///     0x06 int32 (4 bytes LE)  0x07 double (8 bytes LE)
///     0x08 + flags  table: flag 1 = hash part follows, 2 = array part from index 0,
///                   4 = array part from index 1 (index 0 nil and not written);
///                   then the array length (counting index 0), the hash count, the array
///                   values and the key/value pairs
///     0x0e index table  a table whose metatable is `options.metatable[index + 1]`
///     0x0f index        a table key that is the string `options.dict[index + 1]`
///     0x10.. 0x12       64-bit integers and complex numbers (cdata, needs the FFI)
///     0x20 + length     a string and its bytes
///
/// Numbers are always written as doubles, as LuaJIT does on 64-bit targets; decoding
/// accepts int32 too. Tables nest at most 100 deep ("too deep to serialize").

struct SerialError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

private let tagNil: UInt32 = 0x00, tagFalse: UInt32 = 0x01, tagTrue: UInt32 = 0x02, tagNull: UInt32 = 0x03
private let tagLightUserdata64: UInt32 = 0x05, tagInt: UInt32 = 0x06, tagNumber: UInt32 = 0x07
private let tagTable: UInt32 = 0x08, tagDictMetatable: UInt32 = 0x0e, tagDictString: UInt32 = 0x0f
private let tagString: UInt32 = 0x20
private let maximumDepth = 100

/// Reads `options.dict` / `options.metatable` (1-based arrays) of a buffer.
private func optionList(_ vm: LuaVM, _ options: TableRef?, _ name: String) -> TableRef? {
    guard let options else { return nil }
    let v = options.get(name: name, vm.g)
    return v.isTable ? v.table : nil
}

struct SerialEncoder {
    let vm: LuaVM
    /// Dictionary strings and metatables to their 0-based indexes.
    var dictionary: [StringRef: Int] = [:]
    var metatables: [TableRef: Int] = [:]

    init(vm: LuaVM, options: TableRef?) {
        self.vm = vm
        if let dict = optionList(vm, options, "dict") {
            var i = 1
            while case let v = dict.get(integer: i), v.isString {
                if dictionary[v.string] == nil { dictionary[v.string] = i - 1 }
                i += 1
            }
        }
        if let list = optionList(vm, options, "metatable") {
            var i = 1
            while case let v = list.get(integer: i), v.isTable {
                if metatables[v.table] == nil { metatables[v.table] = i - 1 }
                i += 1
            }
        }
    }

    static func writeLength(_ v: UInt32, into out: inout [UInt8]) {
        if v < 0xe0 {
            out.append(UInt8(v))
        } else if v < 0x1fe0 {
            let w = v - 0xe0
            out.append(UInt8(0xe0 | (w >> 8)))
            out.append(UInt8(w & 0xff))
        } else {
            out.append(0xff)
            for i in 0..<4 { out.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) }
        }
    }

    static func writeNumber(_ d: Double, into out: inout [UInt8]) {
        out.append(UInt8(tagNumber))
        let bits = d.bitPattern
        for i in 0..<8 { out.append(UInt8((bits >> (8 * UInt64(i))) & 0xff)) }
    }

    func encode(_ v: Value, into out: inout [UInt8], depth: Int) throws {
        switch v.luaType {
        case .nil: out.append(UInt8(tagNil))
        case .boolean: out.append(UInt8(v.isTrue ? tagTrue : tagFalse))
        case .number: SerialEncoder.writeNumber(v.number, into: &out)
        case .string:
            let s = v.string
            guard s.count <= Int(UInt32.max - tagString) else { throw SerialError("cannot serialize string") }
            SerialEncoder.writeLength(tagString + UInt32(s.count), into: &out)
            out.append(contentsOf: s.buffer)
        case .table:
            try encodeTable(v.table, into: &out, depth: depth)
        default:
            if v.isLightUserdata {
                let p = UInt64(v.payload)
                if p == 0 {
                    out.append(UInt8(tagNull))
                } else {
                    out.append(UInt8(tagLightUserdata64))
                    for i in 0..<8 { out.append(UInt8((p >> (8 * UInt64(i))) & 0xff)) }
                }
                return
            }
            throw SerialError("cannot serialize '\(vm.typeName(v))'")
        }
    }

    private func encodeTable(_ t: TableRef, into out: inout [UInt8], depth: Int) throws {
        guard depth < maximumDepth else { throw SerialError("too deep to serialize") }
        if let mt = t.pointee.metatable, let index = metatables[mt] {
            SerialEncoder.writeLength(tagDictMetatable, into: &out)
            SerialEncoder.writeLength(UInt32(index), into: &out)
        }
        // The array part: keys 1 ... the last non-nil slot, with key 0 when it is set, as
        // LuaJIT writes it.
        var arrayCount = Int(t.pointee.arraySize)
        while arrayCount > 0 && t.get(integer: arrayCount).isNil { arrayCount -= 1 }
        let zero = arrayCount > 0 ? t.get(integer: 0) : .nil
        var hashEntries: [(Value, Value)] = []
        var key = Value.nil, value = Value.nil
        while t.next(&key, &value) == .found {
            if key.isNumber, key.number >= (zero.isNil ? 1 : 0), key.number <= Double(arrayCount),
               key.number == key.number.rounded() { continue }
            hashEntries.append((key, value))
        }
        var tag = tagTable
        if arrayCount > 0 { tag |= zero.isNil ? 4 : 2 }
        if !hashEntries.isEmpty { tag |= 1 }
        out.append(UInt8(tag))
        if arrayCount > 0 { SerialEncoder.writeLength(UInt32(arrayCount + 1), into: &out) }
        if !hashEntries.isEmpty { SerialEncoder.writeLength(UInt32(hashEntries.count), into: &out) }
        if arrayCount > 0 {
            if !zero.isNil { try encode(zero, into: &out, depth: depth + 1) }
            for i in 1...arrayCount { try encode(t.get(integer: i), into: &out, depth: depth + 1) }
        }
        for (k, v) in hashEntries {
            if k.isString, let index = dictionary[k.string] {
                SerialEncoder.writeLength(tagDictString, into: &out)
                SerialEncoder.writeLength(UInt32(index), into: &out)
            } else {
                try encode(k, into: &out, depth: depth + 1)
            }
            try encode(v, into: &out, depth: depth + 1)
        }
    }
}

struct SerialDecoder {
    let call: BuiltinCall
    let bytes: UnsafeBufferPointer<UInt8>
    let options: TableRef?
    var position = 0

    init(call: BuiltinCall, bytes: UnsafeBufferPointer<UInt8>, options: TableRef?) {
        self.call = call
        self.bytes = bytes
        self.options = options
    }

    var vm: LuaVM { call.vm }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw SerialError("unexpected end of buffer") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func littleEndian(_ n: Int) throws -> UInt64 {
        guard bytes.count - position >= n else { throw SerialError("unexpected end of buffer") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += n
        return v
    }

    private mutating func readLength() throws -> UInt32 {
        let b = UInt32(try byte())
        if b < 0xe0 { return b }
        if b == 0xff { return UInt32(try littleEndian(4)) }
        return ((b & 0x1f) << 8) + UInt32(try byte()) + 0xe0
    }

    private func memoryError() -> SerialError { SerialError("not enough memory") }

    mutating func decode(depth: Int) throws -> Value {
        let tag = try readLength()
        return try decode(tag: tag, depth: depth)
    }

    private mutating func decode(tag: UInt32, depth: Int) throws -> Value {
        switch tag {
        case tagNil: return .nil
        case tagFalse: return .false
        case tagTrue: return .true
        case tagNull:
            return Value(bits: Value.tagged(.lightUserdata) << Value.tagShift)
        case tagLightUserdata64:
            let p = try littleEndian(8)
            guard let pointer = UnsafeRawPointer(bitPattern: UInt(p)) else { throw SerialError("cannot deserialize tag 0x05") }
            return Value(lightUserdata: pointer)
        case tagInt:
            return Value(number: Double(Int32(truncatingIfNeeded: UInt32(try littleEndian(4)))))
        case tagNumber:
            return Value(number: Double(bitPattern: try littleEndian(8)))
        case tagTable ... tagTable + 5:
            return try decodeTable(tag: tag, depth: depth)
        case tagDictMetatable:
            let index = Int(try readLength())
            guard let list = optionList(vm, options, "metatable"), case let mt = list.get(integer: index + 1), mt.isTable else {
                throw SerialError("cannot deserialize dictionary index \(index + 1)")
            }
            let next = try readLength()
            guard next >= tagTable && next <= tagTable + 5 else {
                throw SerialError("cannot deserialize tag 0x\(hex2(next))")
            }
            let t = try decodeTable(tag: next, depth: depth)
            vm.setMetatable(t.table, mt.table)
            return t
        case tagDictString:
            let index = Int(try readLength())
            guard let dict = optionList(vm, options, "dict"), case let s = dict.get(integer: index + 1), s.isString else {
                throw SerialError("cannot deserialize dictionary index \(index + 1)")
            }
            return s
        case tagString...:
            let n = Int(tag - tagString)
            guard bytes.count - position >= n else { throw SerialError("unexpected end of buffer") }
            let s = vm.string(UnsafeBufferPointer(rebasing: bytes[position ..< position + n]))
            position += n
            return s
        default:
            throw SerialError("cannot deserialize tag 0x\(hex2(tag))")
        }
    }

    private func hex2(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return s.count < 2 ? "0" + s : s
    }

    private mutating func decodeTable(tag: UInt32, depth: Int) throws -> Value {
        guard depth < maximumDepth else { throw SerialError("too deep to serialize") }
        var arrayCount = 0, hashCount = 0
        if tag & 6 != 0 { arrayCount = Int(try readLength()) }
        if tag & 1 != 0 { hashCount = Int(try readLength()) }
        guard let t = vm.g.newTable(arraySize: min(max(arrayCount - 1, 0), 1 << 20), hashSize: min(hashCount, 1 << 20)) else {
            throw memoryError()
        }
        // The table (and each key while its value is read) stays on the stack, reachable.
        let L = call.L
        let slot = Int(L.pointee.top)
        call.push(Value(table: t))
        defer { L.pointee.top = UInt32(slot) }
        if arrayCount > 0 {
            let first = tag & 4 != 0 ? 1 : 0
            for i in first ..< arrayCount {
                let v = try decode(depth: depth + 1)
                if !v.isNil { guard t.set(integer: i, v, vm.g) == .ok else { throw memoryError() } }
            }
        }
        for _ in 0 ..< hashCount {
            let k = try decode(depth: depth + 1)
            call.push(k)
            let v = try decode(depth: depth + 1)
            L.pointee.top -= 1
            if k.isNil { throw SerialError("table index is nil") }
            if k.isNumber && k.number.isNaN { throw SerialError("table index is NaN") }
            if !v.isNil { guard t.set(k, v, vm.g) == .ok else { throw memoryError() } }
        }
        return Value(table: t)
    }
}

func serialMessage(_ e: Error) -> String { (e as? SerialError)?.message ?? "\(e)" }
