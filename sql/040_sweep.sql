-- ThreePay sweep: lists the payment records whose outcome the service should settle with Alipay (query, then
-- record Paid or close). Re-runnable. See sql/README.md ("Sweep").

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

-- The sweep reads the few payable records by status, oldest change first, without scanning the paid ones.
ALTER TABLE T_3Pay_Offline_ReceiveMoney
    ADD INDEX IF NOT EXISTS IX_3Pay_Offline_ReceiveMoney_Status (status, updated_at);

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

DELIMITER ;
