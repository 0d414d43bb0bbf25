// PerigeeFrontend: Lua source in, bytecode out.
//
// Owns the lexer (Lexer, Token, NumberLiteral), the parser and its scopes (Parser*,
// Scopes), the bytecode emitter (FunctionState, ExpressionCode), the instruction set
// (Bytecode), compiled functions (Prototype, StringPool), the `-bl` listing and the binary
// dump format. It knows nothing of the runtime, values or LLVM; the runtime turns a
// Prototype into its own objects (runtime/Objects/ProtoLoader.swift).
