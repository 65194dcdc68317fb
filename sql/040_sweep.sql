-- ThreePay sweep: lists (and claims, for one sweeper at a time) the payment records whose outcome the service
-- should settle with Alipay (query, then record Paid or close). Re-runnable. See sql/README.md ("Sweep").

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

-- The sweep reads the few payable records by status, oldest change first, without scanning the paid ones.
ALTER TABLE T_3Pay_Offline_ReceiveMoney
    ADD INDEX IF NOT EXISTS IX_3Pay_Offline_ReceiveMoney_Status (status, updated_at);

-- The sweep's claim on a record (Sp_3Pay_Offline_ReceiveMoney_ClaimStale): until sweep_until has passed, no other
-- sweeper (another responder, another node of a cluster) is given the record. Not part of the record's answer.
ALTER TABLE T_3Pay_Offline_ReceiveMoney
    ADD COLUMN IF NOT EXISTS sweep_until DATETIME(3) NULL AFTER refunded_amount;

DELIMITER $$

-- Returns up to p_limit records (record columns, as V_3Pay_Offline_ReceiveMoney) that need settling, the least
-- recently updated first (then by autoid):
--   QR_ISSUED          whose qr_expires_at has passed (the QR code is no longer handed out: query, then close);
--   INITIATED, UNKNOWN last updated more than p_unknown_after_seconds ago (the precreate outcome is unknown).
-- A record leaves the list when Paid, Closed, QrIssued or QrFailed changes it. Raises 50002 for a limit outside
-- 1-1000 or p_unknown_after_seconds outside 0-2592000 (30 days).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Stale(
    IN p_limit                 INT,
    IN p_unknown_after_seconds INT
)
READS SQL DATA
BEGIN
    DECLARE v_now DATETIME(3) DEFAULT UTC_TIMESTAMP(3);

    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'limit must be between 1 and 1000';
    END IF;
    IF p_unknown_after_seconds IS NULL OR p_unknown_after_seconds NOT BETWEEN 0 AND 2592000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'unknown_after must be between 0 and 2592000 seconds';
    END IF;

    SELECT v.*
      FROM V_3Pay_Offline_ReceiveMoney v
     WHERE v.status IN ('QR_ISSUED', 'INITIATED', 'UNKNOWN')
       AND ((v.status = 'QR_ISSUED' AND v.qr_expires_at < v_now)
            OR (v.status IN ('INITIATED', 'UNKNOWN')
                AND v.updated_at < v_now - INTERVAL p_unknown_after_seconds SECOND))
     ORDER BY v.updated_at, v.autoid
     LIMIT p_limit;
END$$

-- The sweep's work list, claimed: the records _Stale would list (same order) that no other sweeper holds, each
-- claimed for p_lease_ms milliseconds (1-600000; the caller's time for settling them). Returns up to p_limit
-- records (record columns). Every responder sweeps, so the claim is what keeps two of them from querying and
-- closing one trade twice: rows another claimer has locked are skipped (SKIP LOCKED, one server), and on a Galera
-- cluster two nodes claiming the same record at once write the same row, so certification lets one commit and
-- the other runs again (1213) and no longer sees it. A claim is not given back: a record the sweep settled leaves
-- the list by its status, one it could not settle is tried again once the claim has run out. Raises 50002 as
-- _Stale does, and for a lease outside 1-600000.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_ClaimStale(
    IN p_limit                 INT,
    IN p_unknown_after_seconds INT,
    IN p_lease_ms              INT
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_done    BOOLEAN DEFAULT FALSE;
    DECLARE v_now     DATETIME(3);
    DECLARE v_ids     TEXT;

    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'limit must be between 1 and 1000';
    END IF;
    IF p_unknown_after_seconds IS NULL OR p_unknown_after_seconds NOT BETWEEN 0 AND 2592000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'unknown_after must be between 0 and 2592000 seconds';
    END IF;
    IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 1 AND 600000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'lease must be between 1 and 600000 milliseconds';
    END IF;

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE v_id  BIGINT UNSIGNED;
            DECLARE v_end BOOLEAN DEFAULT FALSE;
            DECLARE due CURSOR FOR
                SELECT autoid
                  FROM T_3Pay_Offline_ReceiveMoney
                 WHERE status IN ('QR_ISSUED', 'INITIATED', 'UNKNOWN')
                   AND ((status = 'QR_ISSUED' AND qr_expires_at < v_now)
                        OR (status IN ('INITIATED', 'UNKNOWN')
                            AND updated_at < v_now - INTERVAL p_unknown_after_seconds SECOND))
                   AND (sweep_until IS NULL OR sweep_until <= v_now)
                 ORDER BY updated_at, autoid
                 LIMIT p_limit
                   FOR UPDATE SKIP LOCKED;
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_end = TRUE;
            DECLARE EXIT HANDLER FOR 1213
            BEGIN
                ROLLBACK;
                IF v_attempt >= 5 THEN
                    RESIGNAL;
                END IF;
            END;
            DECLARE EXIT HANDLER FOR SQLEXCEPTION
            BEGIN
                ROLLBACK;
                RESIGNAL;
            END;

            SET v_ids = NULL;
            -- READ COMMITTED, as Sp_3Pay_Callback_Claim: no gap locks, rows looked at but not claimed are let go.
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            OPEN due;
            claiming: LOOP
                FETCH due INTO v_id;
                IF v_end THEN
                    LEAVE claiming;
                END IF;
                -- updated_at stays: it is the record's own history, and the list's order.
                UPDATE T_3Pay_Offline_ReceiveMoney
                   SET sweep_until = v_now + INTERVAL p_lease_ms * 1000 MICROSECOND
                 WHERE autoid = v_id;
                SET v_ids = CONCAT_WS(',', v_ids, v_id);
            END LOOP;
            CLOSE due;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    SELECT v.*
      FROM JSON_TABLE(CONCAT('[', COALESCE(v_ids, ''), ']'), '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) AS claimed
      JOIN V_3Pay_Offline_ReceiveMoney v ON v.autoid = claimed.id
     ORDER BY v.updated_at, v.autoid;
END$$

DELIMITER ;
