// ThreePayApp: implementation in progress.
