-- ThreePay callback outbox procedures: the service claims due callbacks, POSTs them to the billtype's URL, and
-- reports each outcome. Re-runnable (CREATE OR REPLACE). The table T_3Pay_Callback_Outbox is in 020_receipts.sql;
-- the life cycle and the outcome table are in sql/README.md ("Callback outbox").
--
-- Conventions as in 010_procedures.sql: rule violations raise SQLSTATE '45000' with MYSQL_ERRNO 50002 (invalid
-- argument), 50003 (not allowed in the row's status) or 50004 (no such row); writing procedures run their own
-- transaction and retry deadlocks up to 5 times (a lock wait timeout is passed on at once); times are UTC.

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

DELIMITER $$

-- Claims up to p_limit due callbacks for p_lease_seconds and returns one row per claimed callback, due order:
-- id, attempts (finished so far), autoid, billtype, billnum, out_trade_no, trade_no, paid_amount, paid_at, cardno,
-- paytype, refund_id (0 for the payment's own callback), refundno, refund_amount, refunded_at,
-- refunded_total_after (NULL for a payment). Due = PENDING, next_attempt_at reached, no unexpired lease. Rows another claimer has locked are
-- skipped (SKIP LOCKED), so two concurrent claimers never get the same callback. A claimed callback that gets no
-- outcome before its lease ends is claimed again (attempts unchanged).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Callback_Claim(
    IN p_limit         INT,
    IN p_lease_seconds INT
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
    IF p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 86400 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'lease must be between 1 and 86400 seconds';
    END IF;

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE v_id  BIGINT UNSIGNED;
            DECLARE v_end BOOLEAN DEFAULT FALSE;
            -- Walks IX_3Pay_Callback_Outbox_Due in order; LIMIT counts only rows it could lock.
            DECLARE due CURSOR FOR
                SELECT id
                  FROM T_3Pay_Callback_Outbox
                 WHERE status = 'PENDING' AND next_attempt_at <= v_now
                   AND (lease_until IS NULL OR lease_until <= v_now)
                 ORDER BY next_attempt_at, id
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
            -- READ COMMITTED: no gap locks, and rows the scan looked at but did not claim are released at once,
            -- so Claim neither blocks Paid inserting new callbacks nor hides rows from the next claimer.
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            OPEN due;
            claiming: LOOP
                FETCH due INTO v_id;
                IF v_end THEN
                    LEAVE claiming;
                END IF;
                UPDATE T_3Pay_Callback_Outbox
                   SET lease_until = v_now + INTERVAL p_lease_seconds SECOND, updated_at = v_now
                 WHERE id = v_id;
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

    -- The claimed ids as a JSON array, joined back by primary key. A refund's callback (refund_id <> 0) also
    -- carries the refund: its number, amount, time and the payment's refunded total after it.
    SELECT o.id, o.attempts, r.autoid, r.billtype, r.billnum, r.out_trade_no, r.trade_no, r.paid_amount, r.paid_at,
           r.cardno, r.paytype, o.refund_id, f.refundno, f.amount AS refund_amount, f.refunded_at,
           f.refunded_total_after
      FROM JSON_TABLE(CONCAT('[', COALESCE(v_ids, ''), ']'), '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) AS claimed
      JOIN T_3Pay_Callback_Outbox o ON o.id = claimed.id
      JOIN T_3Pay_Offline_ReceiveMoney r ON r.autoid = o.autoid
      LEFT JOIN T_3Pay_Offline_Refund f ON f.refund_id = o.refund_id AND o.refund_id <> 0
     ORDER BY o.next_attempt_at, o.id;
END$$

-- Applies one delivery outcome to a callback (shared by _Delivered, _Failed, _Skipped; returns nothing).
-- p_event: 'delivered' | 'failed' | 'skipped'. See the outcome table in sql/README.md.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Callback_Transition(
    IN p_id                  BIGINT UNSIGNED,
    IN p_event               VARCHAR(16),
    IN p_http_status         INT,
    IN p_error               VARCHAR(512),
    IN p_retry_after_seconds INT,
    IN p_give_up             BOOLEAN
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_done    BOOLEAN DEFAULT FALSE;
    DECLARE v_now     DATETIME(3);
    DECLARE v_status  VARCHAR(16);
    DECLARE v_lease   DATETIME(3);
    DECLARE v_msg     VARCHAR(128);

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
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

            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            SET v_status = NULL;
            SELECT status, lease_until INTO v_status, v_lease
              FROM T_3Pay_Callback_Outbox
             WHERE id = p_id
               FOR UPDATE;

            IF v_status IS NULL THEN
                SET v_msg = CONCAT('Callback ', p_id, ' does not exist');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
            ELSEIF p_event = 'delivered' AND v_status <> 'DELIVERED' THEN
                -- The receiver acknowledged: that holds even if the callback was given up or skipped meanwhile.
                UPDATE T_3Pay_Callback_Outbox
                   SET status = 'DELIVERED', attempts = attempts + 1, last_http_status = p_http_status,
                       lease_until = NULL, delivered_at = v_now, updated_at = v_now
                 WHERE id = p_id;
            ELSEIF p_event = 'failed' AND v_status = 'PENDING' AND v_lease IS NOT NULL THEN
                -- Only a claimed callback counts a failure: a repeated report (lease already cleared) changes nothing.
                UPDATE T_3Pay_Callback_Outbox
                   SET status = IF(p_give_up, 'GAVE_UP', 'PENDING'), attempts = attempts + 1,
                       next_attempt_at = IF(p_give_up, next_attempt_at,
                                            v_now + INTERVAL p_retry_after_seconds SECOND),
                       last_http_status = p_http_status, last_error = p_error, lease_until = NULL,
                       updated_at = v_now
                 WHERE id = p_id;
            ELSEIF p_event = 'skipped' AND v_status = 'PENDING' THEN
                UPDATE T_3Pay_Callback_Outbox
                   SET status = 'SKIPPED', last_error = p_error, lease_until = NULL, updated_at = v_now
                 WHERE id = p_id;
            END IF;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;
END$$

-- Records that the receiver acknowledged the callback (HTTP status p_http_status, 100-999).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Callback_Delivered(
    IN p_id          BIGINT UNSIGNED,
    IN p_http_status INT
)
MODIFIES SQL DATA
BEGIN
    IF p_http_status IS NULL OR p_http_status NOT BETWEEN 100 AND 999 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'http_status must be between 100 and 999';
    END IF;
    CALL Sp_3Pay_Callback_Transition(p_id, 'delivered', p_http_status, NULL, NULL, FALSE);
END$$

-- Records a failed attempt of a claimed callback: attempts + 1 and the lease cleared; then either due again in
-- p_retry_after_seconds (0-604800), or GAVE_UP when p_give_up is true (p_retry_after_seconds is then ignored).
-- p_http_status is NULL when no HTTP answer came; p_error is cut to 512 characters.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Callback_Failed(
    IN p_id                  BIGINT UNSIGNED,
    IN p_http_status         INT,
    IN p_error               TEXT,
    IN p_retry_after_seconds INT,
    IN p_give_up             BOOLEAN
)
MODIFIES SQL DATA
BEGIN
    IF p_give_up IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'give_up is required';
    END IF;
    IF NOT p_give_up AND (p_retry_after_seconds IS NULL OR p_retry_after_seconds NOT BETWEEN 0 AND 604800) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'retry_after must be between 0 and 604800 seconds';
    END IF;
    IF p_http_status IS NOT NULL AND p_http_status NOT BETWEEN 100 AND 999 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'http_status must be between 100 and 999';
    END IF;
    CALL Sp_3Pay_Callback_Transition(p_id, 'failed', p_http_status, LEFT(p_error, 512), p_retry_after_seconds,
                                     p_give_up);
END$$

-- Records that the callback is not sent because its billtype has no callback URL; p_reason (cut to 512
-- characters) goes to last_error. Only a PENDING callback changes.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Callback_Skipped(
    IN p_id     BIGINT UNSIGNED,
    IN p_reason TEXT
)
MODIFIES SQL DATA
BEGIN
    CALL Sp_3Pay_Callback_Transition(p_id, 'skipped', NULL, LEFT(p_reason, 512), NULL, FALSE);
END$$

-- For DBAs: puts a GAVE_UP or SKIPPED callback back into the queue, due now, with attempts reset to 0 (the
-- service's give-up rule counts from there). PENDING: unchanged. DELIVERED: 50003 (re-sending would duplicate
-- an acknowledged callback). Unknown id: 50004. Not called by the service.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Callback_Requeue(IN p_id BIGINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_status VARCHAR(16);
    DECLARE v_now    DATETIME(3);
    DECLARE v_msg    VARCHAR(128);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SET v_now = UTC_TIMESTAMP(3);
    SELECT status INTO v_status FROM T_3Pay_Callback_Outbox WHERE id = p_id FOR UPDATE;
    IF v_status IS NULL THEN
        SET v_msg = CONCAT('Callback ', p_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
    ELSEIF v_status = 'DELIVERED' THEN
        SET v_msg = CONCAT('Callback ', p_id, ' is DELIVERED: cannot requeue');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50003, MESSAGE_TEXT = v_msg;
    ELSEIF v_status IN ('GAVE_UP', 'SKIPPED') THEN
        UPDATE T_3Pay_Callback_Outbox
           SET status = 'PENDING', attempts = 0, next_attempt_at = v_now, lease_until = NULL, updated_at = v_now
         WHERE id = p_id;
    END IF;
    COMMIT;
    SELECT id, autoid, billtype, status, attempts, next_attempt_at, last_http_status, last_error
      FROM T_3Pay_Callback_Outbox
     WHERE id = p_id;
END$$

DELIMITER ;
