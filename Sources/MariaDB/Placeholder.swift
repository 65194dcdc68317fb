// MariaDB: implementation in progress.
