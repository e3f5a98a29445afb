"""The language server (`policydsl lsp`): the checker, hover, completion, navigation and
formatting in an editor, over the Language Server Protocol on stdio. Needs the `lsp` extra
(pygls, lsprotocol); nothing here is imported by the library or the other commands.

    documents.py   one open document's analysis (the same as `policydsl check`), the cached baseline
    symbols.py     declarations and name occurrences of a policy and its baseline
    convert.py     positions, ranges and diagnostics in LSP terms (UTF-16 columns, relatedInformation)
    hover.py       what a name under the cursor means
    completion.py  names and keywords that fit the cursor's place
    navigation.py  go to definition, find references (into the baseline file), the outline
    actions.py     code actions (did-you-mean, raise a lowered parameter) and document formatting
    server.py      the pygls server: wires the features to the protocol
"""
