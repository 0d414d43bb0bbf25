/// Machine code as text, through LLVM's disassembler (`-jdump=m` shows each trace's code).
import CLLVM

public enum Disassembler {
    /// The `size` bytes of code at `address` as one line per instruction: the address, then
    /// the instruction in AT&T syntax, as luajit's dump lists its machine code. Empty when
    /// the host's disassembler is missing.
    public static func listing(at address: UnsafeRawPointer, size: Int) throws -> String {
        try TargetMachine.initializeNative()
        let triple = L.LLVMGetDefaultTargetTriple()
        defer { L.LLVMDisposeMessage(triple) }
        guard let context = L.LLVMCreateDisasm(triple, nil, 0, nil, nil) else { return "" }
        defer { L.LLVMDisasmDispose(context) }
        _ = L.LLVMSetDisasmOptions(context, UInt64(LLVMDisassembler_Option_PrintImmHex))
        var lines = ""
        var offset = 0
        var text = [CChar](repeating: 0, count: 256)
        let bytes = UnsafeMutablePointer(mutating: address.assumingMemoryBound(to: UInt8.self))
        while offset < size {
            let pc = UInt64(UInt(bitPattern: address)) + UInt64(offset)
            let length = L.LLVMDisasmInstruction(context, bytes + offset, UInt64(size - offset), pc, &text, text.count)
            let hex = String(pc, radix: 16)
            let padded = String(repeating: "0", count: max(0, 8 - hex.count)) + hex
            if length == 0 {
                lines += "\(padded)  (\(size - offset) bytes not decoded)\n"
                break
            }
            lines += "\(padded) " + String(String(cString: text).map { $0 == "\t" ? " " : $0 }) + "\n"
            offset += length
        }
        return lines
    }
}
