/// LuaJIT 2.1's string buffers (`require("string.buffer")`): userdata of kind
/// `stringBufferKind` holding a byte buffer with a read offset, sharing one metatable whose
/// `__index` is itself (`__metatable` is the string "buffer", as in LuaJIT).
///
/// The storage comes from the state's allocator, so it counts towards the collector's debt
/// and the memory limit like any string; it is given back by `free()` or by `__gc`.
/// Serialization (`encode` / `decode`) is in StringBufferCodec.swift. Without an FFI, the
/// methods that hand out or take C pointers (`putcdata`, `reserve`, `commit`, `ref`) raise
/// an error saying so.
import Glibc

/// `GCUserdata.kind` of a string buffer.
let stringBufferKind: UInt8 = 2

/// The payload of a string buffer: bytes `data[readIndex ..< writeIndex]` are its content.
struct StringBuffer {
    var data: UnsafeMutablePointer<UInt8>?
    var capacity: Int
    var readIndex: Int
    var writeIndex: Int
}

typealias StringBufferRef = UnsafeMutablePointer<StringBuffer>

extension UnsafeMutablePointer where Pointee == StringBuffer {
    var contentLength: Int { pointee.writeIndex - pointee.readIndex }

    /// The unread bytes (valid until the buffer is next changed).
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: pointee.data.map { $0 + pointee.readIndex }, count: contentLength)
    }

    /// Room for `n` more bytes after the content; false when memory runs out. Growing may
    /// run a full collection (see `GlobalRef.reallocate`): the buffer must be reachable.
    @inline(__always) func reserve(_ n: Int, _ g: GlobalRef) -> Bool {
        if pointee.writeIndex + n <= pointee.capacity { return true }
        return grow(n, g)
    }

    /// `reserve`'s slow path: reclaims the consumed front or reallocates.
    @inline(never) private func grow(_ n: Int, _ g: GlobalRef) -> Bool {
        let used = contentLength
        if pointee.readIndex > 0, let data = pointee.data {
            // Reclaim the consumed front first.
            if used > 0 { memmove(data, data + pointee.readIndex, used) }
            pointee.readIndex = 0
            pointee.writeIndex = used
            if used + n <= pointee.capacity { return true }
        }
        var newCapacity = max(pointee.capacity, 32)
        while newCapacity < used + n {
            guard newCapacity < Int.max / 2 else { return false }
            newCapacity *= 2
        }
        guard let p = g.reallocate(pointee.data, from: pointee.capacity, to: newCapacity) else { return false }
        pointee.data = p.assumingMemoryBound(to: UInt8.self)
        pointee.capacity = newCapacity
        return true
    }

    func append(_ b: UnsafeBufferPointer<UInt8>, _ g: GlobalRef) -> Bool {
        guard b.count > 0 else { return true }
        guard reserve(b.count, g) else { return false }
        let to = pointee.data! + pointee.writeIndex
        if b.count <= 8 {
            // Separators and short words: a call to memmove would cost more than the copy.
            for i in 0..<b.count { to[i] = b[i] }
        } else {
            to.update(from: b.baseAddress!, count: b.count)
        }
        pointee.writeIndex += b.count
        return true
    }

    /// Appends the text of number `n` (as tostring shows it), written in place.
    func append(number n: Double, _ g: GlobalRef) -> Bool {
        guard reserve(32, g) else { return false }
        let tail = UnsafeMutableBufferPointer(start: pointee.data! + pointee.writeIndex, count: 32)
        var text = ByteBuilder(scratch: tail)
        appendNumber(n, into: &text)
        // At most 21 bytes: the builder never leaves the buffer's own storage.
        assert(text.base == tail.baseAddress)
        pointee.writeIndex += text.count
        return true
    }

    func append(_ a: [UInt8], _ g: GlobalRef) -> Bool { a.withUnsafeBufferPointer { append($0, g) } }

    /// Marks `n` bytes as read; an emptied buffer starts over at the front.
    func consume(_ n: Int) {
        pointee.readIndex += min(n, contentLength)
        if pointee.readIndex == pointee.writeIndex { reset() }
    }

    func reset() {
        pointee.readIndex = 0
        pointee.writeIndex = 0
    }

    /// Gives the storage back.
    func release(_ g: GlobalRef) {
        g.release(pointee.data, size: pointee.capacity)
        pointee = StringBuffer(data: nil, capacity: 0, readIndex: 0, writeIndex: 0)
    }
}

extension LuaVM {
    /// The string buffer `v` is, or nil.
    func stringBuffer(_ v: Value) -> StringBufferRef? { stringBufferPayload(v) }

    /// The shared metatable of string buffers (kept in the registry).
    var stringBufferMetatable: TableRef? {
        let v = g.pointee.registry.get(name: "string.buffer.metatable", g)
        return v.isTable ? v.table : nil
    }

    /// A new empty buffer with room for `size` bytes.
    func newStringBuffer(size: Int, options: TableRef?) -> Value? {
        guard let u = g.newUserdata(size: MemoryLayout<StringBuffer>.stride) else {
            errorValue = memoryErrorValue
            return nil
        }
        u.pointee.kind = stringBufferKind
        let b = u.payload.assumingMemoryBound(to: StringBuffer.self)
        b.pointee = StringBuffer(data: nil, capacity: 0, readIndex: 0, writeIndex: 0)
        if size > 0 {
            // Reserving may collect: the new buffer stays anchored meanwhile.
            pushAnchor(Value(userdata: u))
            defer { popAnchor() }
            guard b.reserve(size, g) else {
                errorValue = memoryErrorValue
                return nil
            }
        }
        u.setMetatable(stringBufferMetatable, g)
        if let options { u.setEnv(options, g) }
        return Value(userdata: u)
    }

    /// `options.dict` must list strings and `options.metatable` tables (when they are tables).
    func validBufferOptions(_ options: TableRef) -> Bool {
        for (name, wantsString) in [("dict", true), ("metatable", false)] {
            let list = options.get(name: name, g)
            guard list.isTable else { continue }
            var i = 1
            while case let v = list.table.get(integer: i), !v.isNil {
                if wantsString ? !v.isString : !v.isTable { return false }
                i += 1
            }
        }
        return true
    }

    /// `package.loaded["string.buffer"]`: the module table with `new`, `encode`, `decode`.
    func registerStringBuffer(in loaded: TableRef) {
        let M = g.newTable(arraySize: 0, hashSize: 32)!
        _ = g.pointee.registry.set(string: g.intern("string.buffer.metatable")!, Value(table: M), g)
        _ = M.set(string: g.intern("__index")!, Value(table: M), g)
        _ = M.set(string: g.intern("__metatable")!, string("buffer"), g)
        openStringBufferMethods(M)

        let B = g.newTable(arraySize: 0, hashSize: 4)!
        register("new", in: B) { raw in
            let c = BuiltinCall(raw, "new")
            var size = 0
            var optionsIndex = 1
            if c.count >= 1 && !c.arg(1).isTable {
                guard let n = c.integer(1) else { return c.typeError(1, expected: "number") }
                guard n >= 0 && n <= Int(Int32.max) else { return c.argumentError(1, "number out of range") }
                size = n
                optionsIndex = 2
            }
            var options: TableRef? = nil
            if c.count >= optionsIndex {
                guard let t = c.checkTable(optionsIndex) else { return c.typeError(optionsIndex, expected: "table") }
                guard c.vm.validBufferOptions(t) else { return c.error("bad options table") }
                options = t
            }
            guard let v = c.vm.newStringBuffer(size: size, options: options) else { return builtinError }
            return c.results(v)
        }
        register("encode", in: B) { raw in
            let c = BuiltinCall(raw, "encode")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            var out: [UInt8] = []
            let encoder = SerialEncoder(vm: c.vm, options: nil)
            do { try encoder.encode(c.arg(1), into: &out, depth: 0) } catch { return c.error(serialMessage(error)) }
            return c.results(out.withUnsafeBufferPointer { c.internedString($0) })
        }
        register("decode", in: B) { raw in
            let c = BuiltinCall(raw, "decode")
            let v = c.arg(1)
            guard v.isString else { return c.typeError(1, expected: "string") }
            var decoder = SerialDecoder(call: c, bytes: v.string.buffer, options: nil)
            let result: Value
            do {
                result = try decoder.decode(depth: 0)
                if decoder.position < decoder.bytes.count { throw SerialError("left-over data in buffer") }
            } catch {
                return c.error(serialMessage(error))
            }
            return c.results(result)
        }
        _ = loaded.set(string: g.intern("string.buffer")!, Value(table: B), g)
    }

    private func openStringBufferMethods(_ M: TableRef) {
        register("put", in: M) { raw in
            let c = BuiltinCall(raw, "put")
            return c.withBuffer { b in
                if c.count >= 2 {
                    for i in 2...c.count {
                        if let failure = c.put(c.arg(i), argument: i, into: b) { return failure }
                    }
                }
                return c.results(c.arg(1))
            }
        }
        register("putf", in: M) { raw in
            let c = BuiltinCall(raw, "putf")
            return c.withBuffer { b in
                guard let f = c.arg(2).isString ? c.arg(2).string : nil else { return c.typeError(2, expected: "string") }
                return withByteBuilder { out in
                    if let failure = c.vm.formatBytes(c, format: f, formatArgument: 2, into: &out) {
                        return failure
                    }
                    guard b.append(out.bytes, c.g) else { return c.memoryError() }
                    return c.results(c.arg(1))
                }
            }
        }
        for name in ["putcdata", "reserve", "commit", "ref"] {
            register(name, in: M) { raw in
                let c = BuiltinCall(raw, "?")
                let f = c.L.pointee.stack[Int(c.L.pointee.base) - 2].function
                let method = c.vm.builtinNames[f] ?? "?"
                return c.withBuffer { _ in c.error("buffer method '\(method)' needs the ffi library, which is not available") }
            }
        }
        register("set", in: M) { raw in
            let c = BuiltinCall(raw, "set")
            return c.withBuffer { b in
                guard c.arg(2).isString else { return c.typeError(2, expected: "string") }
                b.reset()
                guard b.append(c.arg(2).string.buffer, c.g) else { return c.memoryError() }
                return c.results(c.arg(1))
            }
        }
        register("reset", in: M) { raw in
            let c = BuiltinCall(raw, "reset")
            return c.withBuffer { b in
                b.reset()
                return c.results(c.arg(1))
            }
        }
        register("free", in: M) { raw in
            let c = BuiltinCall(raw, "free")
            return c.withBuffer { b in
                b.release(c.g)
                return 0
            }
        }
        register("get", in: M) { raw in
            let c = BuiltinCall(raw, "get")
            return c.withBuffer { b in
                if c.count < 2 {
                    let s = c.internedString(b.bytes)
                    b.consume(b.contentLength)
                    return c.results(s)
                }
                // Check every contentLength first, then take the pieces in order.
                var lengths: [Int] = []
                for i in 2...c.count {
                    guard let n = c.integer(i) else { return c.typeError(i, expected: "number") }
                    guard n >= 0 else { return c.argumentError(i, "number out of range") }
                    lengths.append(n)
                }
                let values = lengths.map { n -> Value in
                    let piece = UnsafeBufferPointer(rebasing: b.bytes.prefix(n))
                    let s = c.internedString(piece)
                    b.consume(piece.count)
                    return s
                }
                for v in values { c.push(v) }
                return Int32(values.count)
            }
        }
        register("tostring", in: M) { raw in
            let c = BuiltinCall(raw, "tostring")
            return c.withBuffer { b in c.results(c.internedString(b.bytes)) }
        }
        register("skip", in: M) { raw in
            let c = BuiltinCall(raw, "skip")
            return c.withBuffer { b in
                guard let n = c.integer(2) else { return c.typeError(2, expected: "number") }
                guard n >= 0 else { return c.argumentError(2, "number out of range") }
                b.consume(n)
                return c.results(c.arg(1))
            }
        }
        register("encode", in: M) { raw in
            let c = BuiltinCall(raw, "encode")
            return c.withBuffer { b in
                if c.count < 2 { return c.argumentError(2, "value expected") }
                var out: [UInt8] = []
                let encoder = SerialEncoder(vm: c.vm, options: c.bufferOptions())
                do { try encoder.encode(c.arg(2), into: &out, depth: 0) } catch { return c.error(serialMessage(error)) }
                guard b.append(out, c.g) else { return c.memoryError() }
                return c.results(c.arg(1))
            }
        }
        register("decode", in: M) { raw in
            let c = BuiltinCall(raw, "decode")
            return c.withBuffer { b in
                var decoder = SerialDecoder(call: c, bytes: b.bytes, options: c.bufferOptions())
                let result: Value
                do { result = try decoder.decode(depth: 0) } catch { return c.error(serialMessage(error)) }
                b.consume(decoder.position)
                return c.results(result)
            }
        }
        register("__gc", in: M) { raw in
            let c = BuiltinCall(raw, "__gc")
            c.vm.stringBuffer(c.arg(1))?.release(c.g)
            return 0
        }
        register("__tostring", in: M) { raw in
            let c = BuiltinCall(raw, "__tostring")
            return c.withBuffer { b in c.results(c.internedString(b.bytes)) }
        }
        register("__len", in: M) { raw in
            let c = BuiltinCall(raw, "__len")
            return c.withBuffer { b in c.results(Value(number: Double(b.contentLength))) }
        }
        register("__concat", in: M) { raw in
            let c = BuiltinCall(raw, "__concat")
            var out: [UInt8] = []
            for i in 1...2 {
                let v = c.arg(i)
                if let b = c.vm.stringBuffer(v) {
                    out.append(contentsOf: b.bytes)
                } else if v.isString || v.isNumber {
                    c.vm.appendString(v, to: &out)
                } else {
                    return c.error("attempt to concatenate a \(c.vm.typeName(v)) value")
                }
            }
            return c.results(out.withUnsafeBufferPointer { c.internedString($0) })
        }
    }
}

/// The string buffer `v` is, or nil.
@inline(__always) func stringBufferPayload(_ v: Value) -> StringBufferRef? {
    guard v.isUserdata, v.userdata.pointee.kind == stringBufferKind else { return nil }
    return v.userdata.payload.assumingMemoryBound(to: StringBuffer.self)
}

// The methods reach the global state and interning through `g` and `internedString`, which
// do not retain and release the VM as `vm.` does on every call.
extension BuiltinCall {
    /// Runs `body` on the buffer that argument 1 is, or raises a "buffer expected" error.
    @inline(__always) func withBuffer(_ body: (StringBufferRef) -> Int32) -> Int32 {
        guard let b = stringBufferPayload(arg(1)) else { return typeError(1, expected: "buffer") }
        return body(b)
    }

    func memoryError() -> Int32 {
        vm.errorValue = vm.memoryErrorValue
        return builtinError
    }

    /// The options table given to `buffer.new` for the buffer in argument 1.
    func bufferOptions() -> TableRef? { arg(1).userdata.pointee.env }

    /// `buf:put` of one value: a string, a number, another buffer or an object with
    /// `__tostring`. Nil on success, the failure status otherwise.
    func put(_ v: Value, argument i: Int, into b: StringBufferRef) -> Int32? {
        if v.isString {
            return b.append(v.string.buffer, g) ? nil : memoryError()
        }
        if v.isNumber {
            return b.append(number: v.number, g) ? nil : memoryError()
        }
        if let other = stringBufferPayload(v) {
            if other == b { return argumentError(i, "cannot put buffer into itself") }
            return b.append(other.bytes, g) ? nil : memoryError()
        }
        if !vm.g.metamethod(.tostring, of: v).isNil {
            guard let s = vm.toStringValue(L, v) else { return builtinError }
            if s.isString { return b.append(s.string.buffer, vm.g) ? nil : memoryError() }
            if s.isNumber { return put(s, argument: i, into: b) }
            return error("'__tostring' must return a string")
        }
        return argumentError(i, "string/number/__tostring expected, got \(vm.typeName(v))")
    }
}
