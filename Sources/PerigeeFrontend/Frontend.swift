/// PerigeeFrontend: lexer, parser, scopes, bytecode emitter, bytecode definitions and listing.
