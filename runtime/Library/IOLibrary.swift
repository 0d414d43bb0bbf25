/// The io library as LuaJIT 2.1 has it: file handles are userdata of kind `ioFileKind`
/// holding a C stdio `FILE*`, sharing one metatable whose `__index` is itself.
///
/// Standard output is one stream with `print`: writes to `io.stdout` go through
/// `LuaVM.standardOutput`, and every other operation on stdout flushes that buffer first.
import Glibc
import PerigeeFrontend

/// `GCUserdata.kind` of a file handle.
let ioFileKind: UInt8 = 1

/// The payload of a file handle: the stream (nil once closed) and how to close it.
struct IOFile {
    var fp: UnsafeMutablePointer<FILE>?
    var type: UInt8

    static let file: UInt8 = 0
    static let pipe: UInt8 = 1
    static let standard: UInt8 = 2
    static let typeMask: UInt8 = 3
    /// `io.lines(name)`: the iterator closes the file at the end.
    static let closeAtEnd: UInt8 = 4
}

typealias IOFileRef = UnsafeMutablePointer<IOFile>

/// A string's bytes as a NUL-terminated C string (file names may be any bytes).
func cString(_ s: StringRef) -> [CChar] {
    var bytes = s.buffer.map { CChar(bitPattern: $0) }
    bytes.append(0)
    return bytes
}

func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

extension LuaVM {
    /// The file handle `v` is, or nil.
    func ioFile(_ v: Value) -> IOFileRef? {
        guard v.isUserdata, v.userdata.pointee.kind == ioFileKind else { return nil }
        return v.userdata.payload.assumingMemoryBound(to: IOFile.self)
    }

    /// A new file handle on `fp`.
    func newIOFile(_ fp: UnsafeMutablePointer<FILE>?, type: UInt8) -> Value? {
        guard let u = g.newUserdata(size: MemoryLayout<IOFile>.stride) else {
            errorValue = memoryErrorValue
            return nil
        }
        u.pointee.kind = ioFileKind
        u.payload.assumingMemoryBound(to: IOFile.self).pointee = IOFile(fp: fp, type: type)
        u.setMetatable(fileMetatable, g)
        return Value(userdata: u)
    }

    /// Before C stdio touches `fp`: standard output's pending bytes go out first; reading
    /// standard input flushes them only when they are not fully buffered, as C stdio does.
    func synchronize(_ fp: UnsafeMutablePointer<FILE>) {
        if fp == stdout || (fp == stdin && standardOutput.mode != .full) { standardOutput.flush() }
    }

    func setDefault(output: Bool, _ v: Value) {
        if output { defaultOutput = v } else { defaultInput = v }
        _ = g.pointee.registry.set(string: g.intern(output ? "_IO_output" : "_IO_input")!, v, g)
    }

    /// What closing a Lua state does to pipes still open (LuaJIT's `lua_close` finalizes
    /// their handles): waits for each command. Call before the last flush of standard output.
    public func closeOpenPipes() {
        for fp in openPipes { pclose(fp) }
        openPipes.removeAll()
    }

    func openIOLibrary() {
        let M = g.newTable(arraySize: 0, hashSize: 16)!
        fileMetatable = M
        _ = g.pointee.registry.set(string: g.intern("FILE*")!, Value(table: M), g)
        _ = M.set(string: g.intern("__index")!, Value(table: M), g)

        register("close", in: M) { raw in
            let c = BuiltinCall(raw, "close")
            return c.withFile { c.closeFile($0) }
        }
        register("flush", in: M) { raw in
            let c = BuiltinCall(raw, "flush")
            return c.withFile { c.fileResult(fflush($0.pointee.fp!) == 0, nil) }
        }
        register("lines", in: M) { raw in
            let c = BuiltinCall(raw, "lines")
            return c.withFile { _ in c.linesIterator(c.arg(1), formatsFrom: 2) }
        }
        register("read", in: M) { raw in
            let c = BuiltinCall(raw, "read")
            return c.withFile { c.read($0.pointee.fp!, argumentsFrom: 2) }
        }
        register("write", in: M) { raw in
            let c = BuiltinCall(raw, "write")
            return c.withFile(writing: true) { c.write($0.pointee.fp!, argumentsFrom: 2) }
        }
        register("seek", in: M) { raw in
            let c = BuiltinCall(raw, "seek")
            return c.withFile { c.seek($0.pointee.fp!) }
        }
        register("setvbuf", in: M) { raw in
            let c = BuiltinCall(raw, "setvbuf")
            return c.withFile { c.setvbuf($0.pointee.fp!) }
        }
        register("__gc", in: M) { raw in
            let c = BuiltinCall(raw, "__gc")
            guard let f = c.vm.ioFile(c.arg(1)) else { return c.typeError(1, expected: "FILE*") }
            if f.pointee.fp != nil && f.pointee.type & IOFile.typeMask != IOFile.standard {
                _ = c.closeFile(f)
            }
            return 0
        }
        register("__tostring", in: M) { raw in
            let c = BuiltinCall(raw, "__tostring")
            guard let f = c.vm.ioFile(c.arg(1)) else { return c.typeError(1, expected: "FILE*") }
            guard let fp = f.pointee.fp else { return c.results(c.vm.string("file (closed)")) }
            return c.results(c.vm.string("file (0x\(String(UInt(bitPattern: fp), radix: 16)))"))
        }

        let I = library("io")
        let standard: [(String, UnsafeMutablePointer<FILE>)] = [("stdin", stdin), ("stdout", stdout), ("stderr", stderr)]
        for (name, fp) in standard {
            let v = newIOFile(fp, type: IOFile.standard)!
            _ = I.set(string: g.intern(name)!, v, g)
            if name == "stdin" { setDefault(output: false, v) }
            if name == "stdout" { setDefault(output: true, v) }
        }

        register("open", in: I) { raw in
            let c = BuiltinCall(raw, "open")
            guard let name = c.string(1) else { return c.typeError(1, expected: "string") }
            var mode: [CChar] = Array("r".utf8CString)
            if !c.arg(2).isNil {
                guard let m = c.string(2) else { return c.typeError(2, expected: "string") }
                mode = cString(m)
            }
            guard let fp = fopen(cString(name), mode) else { return c.fileResult(false, name.description) }
            guard let v = c.vm.newIOFile(fp, type: IOFile.file) else { fclose(fp); return builtinError }
            return c.results(v)
        }
        register("popen", in: I) { raw in
            let c = BuiltinCall(raw, "popen")
            guard let command = c.string(1) else { return c.typeError(1, expected: "string") }
            var mode: [CChar] = Array("r".utf8CString)
            if !c.arg(2).isNil {
                guard let m = c.string(2) else { return c.typeError(2, expected: "string") }
                mode = cString(m)
            }
            c.vm.standardOutput.flush()
            fflush(nil)
            guard let fp = popen(cString(command), mode) else { return c.fileResult(false, command.description) }
            guard let v = c.vm.newIOFile(fp, type: IOFile.pipe) else { pclose(fp); return builtinError }
            c.vm.openPipes.append(fp)
            return c.results(v)
        }
        register("tmpfile", in: I) { raw in
            let c = BuiltinCall(raw, "tmpfile")
            guard let fp = tmpfile() else { return c.fileResult(false, nil) }
            guard let v = c.vm.newIOFile(fp, type: IOFile.file) else { fclose(fp); return builtinError }
            return c.results(v)
        }
        register("type", in: I) { raw in
            let c = BuiltinCall(raw, "type")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            guard let f = c.vm.ioFile(c.arg(1)) else { return c.results(.nil) }
            return c.results(c.vm.string(f.pointee.fp == nil ? "closed file" : "file"))
        }
        register("close", in: I) { raw in
            let c = BuiltinCall(raw, "close")
            if c.count > 0 { return c.withFile { c.closeFile($0) } }
            let f = c.vm.ioFile(c.vm.defaultOutput)!
            if f.pointee.fp == nil { return c.error("attempt to use a closed file") }
            return c.closeFile(f)
        }
        register("read", in: I) { raw in
            let c = BuiltinCall(raw, "read")
            guard let fp = c.standardFile(output: false) else { return builtinError }
            return c.read(fp, argumentsFrom: 1)
        }
        register("write", in: I) { raw in
            let c = BuiltinCall(raw, "write")
            guard let fp = c.standardFile(output: true) else { return builtinError }
            return c.write(fp, argumentsFrom: 1)
        }
        register("flush", in: I) { raw in
            let c = BuiltinCall(raw, "flush")
            guard let fp = c.standardFile(output: true) else { return builtinError }
            c.vm.synchronize(fp)
            return c.fileResult(fflush(fp) == 0, nil)
        }
        register("input", in: I) { raw in
            let c = BuiltinCall(raw, "input")
            return c.defaultFile(output: false)
        }
        register("output", in: I) { raw in
            let c = BuiltinCall(raw, "output")
            return c.defaultFile(output: true)
        }
        register("lines", in: I) { raw in
            let c = BuiltinCall(raw, "lines")
            if c.arg(1).isNil { return c.linesIterator(c.vm.defaultInput, formatsFrom: 2) }
            guard let file = c.openForLibrary("r") else { return builtinError }
            c.vm.ioFile(file)!.pointee.type = IOFile.file | IOFile.closeAtEnd
            return c.linesIterator(file, formatsFrom: 2)
        }
    }
}

extension BuiltinCall {
    /// `true`, or `nil, "[name: ]strerror", errno` (luaL_fileresult).
    func fileResult(_ ok: Bool, _ name: String?, _ code: Int32 = errno) -> Int32 {
        if ok { return results(.true) }
        let text = errorText(code)
        return results(.nil, vm.string(name.map { "\($0): \(text)" } ?? text), Value(number: Double(code)))
    }

    /// Runs `body` on the open file that argument 1 is, or raises LuaJIT's errors.
    func withFile(writing: Bool = false, _ body: (IOFileRef) -> Int32) -> Int32 {
        guard let f = vm.ioFile(arg(1)) else { return typeError(1, expected: "FILE*") }
        guard let fp = f.pointee.fp else { return error("attempt to use a closed file") }
        if !writing { vm.synchronize(fp) }
        return body(f)
    }

    /// The default input or output stream; nil (with the error set) when it is closed.
    func standardFile(output: Bool) -> UnsafeMutablePointer<FILE>? {
        let f = vm.ioFile(output ? vm.defaultOutput : vm.defaultInput)!
        guard let fp = f.pointee.fp else {
            _ = error("standard file is closed")
            return nil
        }
        return fp
    }

    /// Opens the file named by argument 1 or raises `bad argument #1 (name: strerror)`.
    func openForLibrary(_ mode: String) -> Value? {
        guard let name = string(1) else { _ = typeError(1, expected: "string"); return nil }
        guard let fp = fopen(cString(name), mode) else {
            _ = argumentError(1, "\(name.description): \(errorText(errno))")
            return nil
        }
        guard let v = vm.newIOFile(fp, type: IOFile.file) else { fclose(fp); return nil }
        return v
    }

    /// `io.input` / `io.output`: sets the default from a file or a name, returns it.
    func defaultFile(output: Bool) -> Int32 {
        let v = arg(1)
        if !v.isNil {
            if v.isUserdata {
                guard let f = vm.ioFile(v) else { return typeError(1, expected: "FILE*") }
                if f.pointee.fp == nil { return error("attempt to use a closed file") }
                vm.setDefault(output: output, v)
            } else {
                guard let file = openForLibrary(output ? "w" : "r") else { return builtinError }
                vm.setDefault(output: output, file)
            }
        }
        return results(output ? vm.defaultOutput : vm.defaultInput)
    }

    func closeFile(_ f: IOFileRef) -> Int32 {
        guard let fp = f.pointee.fp else { return results(.true) }
        switch f.pointee.type & IOFile.typeMask {
        case IOFile.file:
            let ok = fclose(fp) == 0
            let code = errno
            f.pointee.fp = nil
            return fileResult(ok, nil, code)
        case IOFile.pipe:
            vm.openPipes.removeAll { $0 == fp }
            let status = pclose(fp)
            let code = errno
            f.pointee.fp = nil
            return fileResult(status != -1, nil, code)
        default:
            return results(.nil, vm.string("cannot close standard file"))
        }
    }

    /// Writes arguments `first...` (strings, numbers as tostring shows them); `true` or the
    /// error triple.
    func write(_ fp: UnsafeMutablePointer<FILE>, argumentsFrom first: Int) -> Int32 {
        var ok = true
        let toStandardOutput = fp == stdout
        // Numbers are formatted here, as luajit does, not made into strings first.
        func emit(_ bytes: UnsafeBufferPointer<UInt8>) {
            if toStandardOutput {
                vm.standardOutput.write(bytes)
            } else if ok && bytes.count > 0 {
                ok = fwrite(bytes.baseAddress!, 1, bytes.count, fp) == bytes.count
            }
        }
        var i = first
        while i <= count {
            let v = arg(i)
            if v.isString {
                emit(v.string.buffer)
            } else if v.isNumber {
                withNumberText(v.number) { emit($0) }
            } else {
                return typeError(i, expected: "string")
            }
            i += 1
        }
        return fileResult(ok, nil)
    }

    /// Reads with the formats at arguments `first...` (a line when there are none).
    func read(_ fp: UnsafeMutablePointer<FILE>, argumentsFrom first: Int) -> Int32 {
        var formats: [Value] = []
        if count >= first { for i in first...count { formats.append(arg(i)) } }
        return readFormats(fp, formats, firstArgument: first)
    }

    /// LuaJIT's io_file_read: one result per format up to the first that fails, which
    /// gives nil; a stream error gives `nil, message, errno` instead.
    func readFormats(_ fp: UnsafeMutablePointer<FILE>, _ formats: [Value], firstArgument: Int) -> Int32 {
        clearerr(fp)
        if formats.isEmpty {
            let ok = readLine(fp, chop: true)
            if ferror(fp) != 0 { return fileResult(false, nil) }
            if !ok { replaceTop() }
            return 1
        }
        var ok = true
        var n = 0
        for (index, format) in formats.enumerated() where ok {
            if format.isString {
                let s = format.string.buffer
                var p = 0
                if p < s.count && s[p] == 42 { p += 1 }  // '*'
                let letter: UInt8 = p < s.count ? s[p] : 0
                switch letter {
                case 110: ok = readNumber(fp)  // n
                case 108: ok = readLine(fp, chop: true)  // l
                case 76: ok = readLine(fp, chop: false)  // L
                case 97: readAll(fp)  // a
                default: return argumentError(firstArgument + index, "invalid format")
                }
            } else if format.isNumber {
                ok = readCount(fp, luaInteger(format.number))
            } else {
                return argumentError(firstArgument + index, "invalid option")
            }
            n += 1
        }
        if ferror(fp) != 0 { return fileResult(false, nil) }
        if !ok { replaceTop() }
        return Int32(n)
    }

    private func replaceTop() {
        L.pointee.stack[Int(L.pointee.top) - 1] = .nil
    }

    private func pushBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        push(vm.string(bytes))
    }

    /// One line (its newline kept unless `chop`), read a byte at a time into memory of our
    /// own: getline's buffer comes from the C library's allocator, which a sanitizer's
    /// allocator does not know, and zero bytes stay part of the line.
    private func readLine(_ fp: UnsafeMutablePointer<FILE>, chop: Bool) -> Bool {
        var line: [UInt8] = []
        var read = false
        while true {
            let c = getc(fp)
            if c == EOF { break }
            read = true
            if c == 10 {
                if !chop { line.append(10) }
                break
            }
            line.append(UInt8(truncatingIfNeeded: c))
        }
        guard read else {
            push(vm.string(""))
            return false
        }
        line.withUnsafeBufferPointer { pushBytes($0) }
        return true
    }

    private func readNumber(_ fp: UnsafeMutablePointer<FILE>) -> Bool {
        var d = 0.0
        let matched = withUnsafeMutablePointer(to: &d) { p in
            withVaList([p]) { vfscanf(fp, "%lf", $0) }
        }
        if matched == 1 {
            push(Value(normalizingNaN: d))
            return true
        }
        push(.nil)
        return false
    }

    private func readAll(_ fp: UnsafeMutablePointer<FILE>) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = fread(&chunk, 1, chunk.count, fp)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        bytes.withUnsafeBufferPointer { pushBytes($0) }
    }

    private func readCount(_ fp: UnsafeMutablePointer<FILE>, _ wanted: Int) -> Bool {
        if wanted <= 0 {
            let ch = getc(fp)
            ungetc(ch, fp)
            push(vm.string(""))
            return ch != EOF
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(wanted, 65536))
        while bytes.count < wanted {
            let n = fread(&chunk, 1, min(chunk.count, wanted - bytes.count), fp)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n == 0 { break }
        }
        bytes.withUnsafeBufferPointer { pushBytes($0) }
        return !bytes.isEmpty
    }

    /// `file:seek([whence [, offset]])`: the new position, or the error triple.
    func seek(_ fp: UnsafeMutablePointer<FILE>) -> Int32 {
        var whence = SEEK_CUR
        if !arg(2).isNil {
            guard let s = string(2)?.description else { return typeError(2, expected: "string") }
            switch s {
            case "set": whence = SEEK_SET
            case "cur": whence = SEEK_CUR
            case "end": whence = SEEK_END
            default: return argumentError(2, "invalid option '\(s)'")
            }
        }
        var offset = 0
        let o = arg(3)
        if o.isNumber {
            offset = luaInteger(o.number)
        } else if !o.isNil {
            return typeError(3, expected: "number")
        }
        if fseeko(fp, off_t(offset), whence) != 0 { return fileResult(false, nil) }
        return results(Value(number: Double(ftello(fp))))
    }

    /// `file:setvbuf(mode [, size])`.
    func setvbuf(_ fp: UnsafeMutablePointer<FILE>) -> Int32 {
        guard let s = string(2)?.description else { return typeError(2, expected: "string") }
        let mode: Int32
        let buffering: OutputBuffer.Buffering
        switch s {
        case "full": mode = _IOFBF; buffering = .full
        case "line": mode = _IOLBF; buffering = .line
        case "no": mode = _IONBF; buffering = .none
        default: return argumentError(2, "invalid option '\(s)'")
        }
        var size = 8192
        if !arg(3).isNil {
            guard let n = integer(3) else { return typeError(3, expected: "number") }
            size = n
        }
        if fp == stdout { vm.standardOutput.mode = buffering }
        return fileResult(Glibc.setvbuf(fp, nil, mode, size) == 0, nil)
    }

    /// An iterator reading `file` with the formats at arguments `first...` each call.
    func linesIterator(_ file: Value, formatsFrom first: Int) -> Int32 {
        let formats = max(0, count - first + 1)
        if formats + 1 > 255 { return error("too many arguments to unpack") }
        guard let iterator = vm.g.newBuiltin({ raw in
            let c = BuiltinCall(raw, "lines")
            return c.linesStep()
        }, upvalueCount: formats + 1, env: vm.globals) else {
            vm.errorValue = vm.memoryErrorValue
            return builtinError
        }
        iterator.setUpvalue(0, file, vm.g)
        for i in 0..<formats { iterator.setUpvalue(i + 1, arg(first + i), vm.g) }
        return results(Value(function: iterator))
    }

    /// One call of a `lines` iterator (upvalues: the file, then the formats).
    func linesStep() -> Int32 {
        let f = L.pointee.stack[Int(L.pointee.base) - 2].function
        let file = vm.ioFile(f.upvalueValues[0])!
        guard let fp = file.pointee.fp else { return error("attempt to use a closed file") }
        vm.synchronize(fp)
        var formats: [Value] = []
        for i in 1..<Int(f.pointee.upvalueCount) { formats.append(f.upvalueValues[i]) }
        let first = Int(L.pointee.top)
        let n = readFormats(fp, formats, firstArgument: 1)
        if n < 0 { return n }
        if ferror(fp) != 0 { return error(errorText(errno)) }
        if L.pointee.stack[first].isNil && file.pointee.type & IOFile.closeAtEnd != 0 {
            _ = closeFile(file)
            L.pointee.top = UInt32(first)
            return 0
        }
        return n
    }
}
