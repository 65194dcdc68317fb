// RSASigning: implementation in progress.
