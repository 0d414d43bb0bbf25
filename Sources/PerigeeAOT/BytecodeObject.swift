/// `perigee -b app.lua app.o`: a bytecode dump as an object file that exports it as
/// luajit's `luaJIT_BC_<name>` (a read-only byte array), for C programs that link it in.
import CLLVM
import PerigeeLLVM

/// The object file formats `-a arch -o os` select, as LLVM triples.
public enum BytecodeObjectTarget {
    /// luajit's architecture names this LLVM build has a target for.
    static let architectures = ["x86": "i386", "x64": "x86_64", "arm64": "aarch64"]
    /// luajit's OS names with the vendor and environment of their triples.
    static let systems = ["linux": "unknown-linux-gnu", "windows": "pc-windows-msvc", "osx": "apple-darwin",
                          "freebsd": "unknown-freebsd", "netbsd": "unknown-netbsd", "openbsd": "unknown-openbsd",
                          "dragonfly": "unknown-dragonfly", "solaris": "pc-solaris"]

    /// The triple for luajit's `arch` and `os` names (nil: the host's own), or a message.
    public static func triple(arch: String?, os: String?) -> Result<String?, BuildError> {
        guard arch != nil || os != nil else { return .success(nil) }
        guard let cpu = architectures[arch ?? "x64"] else {
            return .failure(BuildError("no support for writing \(arch!) object files"))
        }
        return .success(cpu + "-" + (systems[os ?? "linux"] ?? "unknown-linux-gnu"))
    }
}

/// `dump` as an object file exporting `symbol`; throws `BuildError`.
public func bytecodeObject(_ dump: [UInt8], symbol: String, triple: String?) throws -> [UInt8] {
    do {
        let context = try LLVMContext()
        let module = LLVMModule(name: symbol, in: context)
        let machine = try TargetMachine(triple: triple)
        machine.configure(module)
        module.addConstantBytes(symbol, dump, isPrivate: false)
        return try machine.emit(module)
    } catch {
        throw BuildError("cannot make an object file: \(error)")
    }
}
