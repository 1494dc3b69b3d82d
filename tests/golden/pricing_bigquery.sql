SELECT
  `t5`.`ts`,
  `t5`.`request_id`,
  `t5`.`provider`,
  `t5`.`model`,
  `t5`.`tenant`,
  `t5`.`user`,
  `t5`.`feature`,
  `t5`.`session`,
  `t5`.`service_tier`,
  `t5`.`region`,
  `t5`.`requests`,
  `t5`.`input_tokens`,
  `t5`.`cache_read_tokens`,
  `t5`.`cache_write_5m_tokens`,
  `t5`.`cache_write_1h_tokens`,
  `t5`.`cache_write_other_tokens`,
  `t5`.`output_tokens`,
  `t5`.`reasoning_tokens`,
  `t5`.`input_audio_tokens`,
  `t5`.`input_image_tokens`,
  `t5`.`input_video_tokens`,
  `t5`.`cache_read_audio_tokens`,
  `t5`.`cache_read_image_tokens`,
  `t5`.`cache_read_video_tokens`,
  `t5`.`output_audio_tokens`,
  `t5`.`output_image_tokens`,
  `t5`.`output_video_tokens`,
  `t5`.`web_search_requests`,
  `t5`.`reported_cost_usd`,
  `t5`.`cost_source`,
  `t5`.`source_file`,
  `t5`.`source_line`,
  `t3`.`entry` AS `price_entry`,
  `t3`.`match`,
  `t3`.`matched_model`,
  CASE
    WHEN NOT (
      `t5`.`_ok`
    ) OR COALESCE(`t3`.`invalid`, FALSE)
    THEN 'quarantined'
    WHEN `t3`.`reason` IS NOT NULL
    THEN CONCAT('unpriced: ', `t3`.`reason`)
    WHEN `t3`.`entry` IS NULL
    THEN 'unpriced: no rate row matched (please report this)'
    WHEN `t3`.`m_web_search` AND (
      `t5`.`web_search_requests` > 0
    )
    THEN CONCAT('unpriced: no web search price for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    WHEN `t3`.`m_input_audio` AND (
      `t5`.`input_audio_tokens` > 0
    )
    THEN CONCAT('unpriced: no audio input rate for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    WHEN `t3`.`m_input_image` AND (
      `t5`.`input_image_tokens` > 0
    )
    THEN CONCAT('unpriced: no image input rate for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    WHEN `t3`.`m_input_video` AND (
      `t5`.`input_video_tokens` > 0
    )
    THEN CONCAT('unpriced: no video input rate for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    WHEN `t3`.`m_cache_read_audio` AND (
      `t5`.`cache_read_audio_tokens` > 0
    )
    THEN CONCAT(
      'unpriced: no audio cache read rate for ',
      SPLIT(`t3`.`entry`, ' ')[safe_offset(0)]
    )
    WHEN `t3`.`m_cache_read_image` AND (
      `t5`.`cache_read_image_tokens` > 0
    )
    THEN CONCAT(
      'unpriced: no image cache read rate for ',
      SPLIT(`t3`.`entry`, ' ')[safe_offset(0)]
    )
    WHEN `t3`.`m_cache_read_video` AND (
      `t5`.`cache_read_video_tokens` > 0
    )
    THEN CONCAT(
      'unpriced: no video cache read rate for ',
      SPLIT(`t3`.`entry`, ' ')[safe_offset(0)]
    )
    WHEN `t3`.`m_output_audio` AND (
      `t5`.`output_audio_tokens` > 0
    )
    THEN CONCAT('unpriced: no audio output rate for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    WHEN `t3`.`m_output_image` AND (
      `t5`.`output_image_tokens` > 0
    )
    THEN CONCAT('unpriced: no image output rate for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    WHEN `t3`.`m_output_video` AND (
      `t5`.`output_video_tokens` > 0
    )
    THEN CONCAT('unpriced: no video output rate for ', SPLIT(`t3`.`entry`, ' ')[safe_offset(0)])
    ELSE 'priced'
  END AS `status`,
  NOT (
    `t5`.`_ok`
  ) OR COALESCE(`t3`.`invalid`, FALSE) AS `_quarantined`,
  (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND (
      (
        `t3`.`reason` IS NOT NULL
      ) OR (
        `t3`.`entry` IS NULL
      )
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_web_search`
    AND (
      `t5`.`web_search_requests` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_input_audio`
    AND (
      `t5`.`input_audio_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_input_image`
    AND (
      `t5`.`input_image_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_input_video`
    AND (
      `t5`.`input_video_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_cache_read_audio`
    AND (
      `t5`.`cache_read_audio_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_cache_read_image`
    AND (
      `t5`.`cache_read_image_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_cache_read_video`
    AND (
      `t5`.`cache_read_video_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_output_audio`
    AND (
      `t5`.`output_audio_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_output_image`
    AND (
      `t5`.`output_image_tokens` > 0
    )
  )
  OR (
    NOT (
      NOT (
        `t5`.`_ok`
      ) OR COALESCE(`t3`.`invalid`, FALSE)
    )
    AND `t3`.`m_output_video`
    AND (
      `t5`.`output_video_tokens` > 0
    )
  ) AS `_unpriced`,
  (
    (
      CAST(`t5`.`input_tokens` AS NUMERIC) - (
        CAST(`t5`.`input_audio_tokens` AS NUMERIC) + CAST(`t5`.`input_image_tokens` AS NUMERIC) + CAST(`t5`.`input_video_tokens` AS NUMERIC)
      )
    ) * CAST(`t3`.`r_input` AS NUMERIC)
  ) + (
    (
      CAST(`t5`.`input_audio_tokens` AS NUMERIC) * CAST(`t3`.`r_input_audio` AS NUMERIC)
    ) + (
      CAST(`t5`.`input_image_tokens` AS NUMERIC) * CAST(`t3`.`r_input_image` AS NUMERIC)
    ) + (
      CAST(`t5`.`input_video_tokens` AS NUMERIC) * CAST(`t3`.`r_input_video` AS NUMERIC)
    )
  ) AS `_c_input`,
  (
    (
      CAST(`t5`.`cache_read_tokens` AS NUMERIC) - (
        CAST(`t5`.`cache_read_audio_tokens` AS NUMERIC) + CAST(`t5`.`cache_read_image_tokens` AS NUMERIC) + CAST(`t5`.`cache_read_video_tokens` AS NUMERIC)
      )
    ) * CAST(`t3`.`r_cache_read` AS NUMERIC)
  ) + (
    (
      CAST(`t5`.`cache_read_audio_tokens` AS NUMERIC) * CAST(`t3`.`r_cache_read_audio` AS NUMERIC)
    ) + (
      CAST(`t5`.`cache_read_image_tokens` AS NUMERIC) * CAST(`t3`.`r_cache_read_image` AS NUMERIC)
    ) + (
      CAST(`t5`.`cache_read_video_tokens` AS NUMERIC) * CAST(`t3`.`r_cache_read_video` AS NUMERIC)
    )
  ) AS `_c_cache_read`,
  (
    CAST(`t5`.`cache_write_5m_tokens` AS NUMERIC) * CAST(`t3`.`r_cache_write_5m` AS NUMERIC)
  ) + (
    CAST(`t5`.`cache_write_1h_tokens` AS NUMERIC) * CAST(`t3`.`r_cache_write_1h` AS NUMERIC)
  ) + (
    CAST(`t5`.`cache_write_other_tokens` AS NUMERIC) * CAST(`t3`.`r_cache_write_other` AS NUMERIC)
  ) AS `_c_cache_write`,
  (
    (
      (
        CAST(`t5`.`output_tokens` AS NUMERIC) - CAST(`t5`.`reasoning_tokens` AS NUMERIC)
      ) - (
        CAST(`t5`.`output_audio_tokens` AS NUMERIC) + CAST(`t5`.`output_image_tokens` AS NUMERIC) + CAST(`t5`.`output_video_tokens` AS NUMERIC)
      )
    ) * CAST(`t3`.`r_output` AS NUMERIC)
  ) + (
    (
      CAST(`t5`.`output_audio_tokens` AS NUMERIC) * CAST(`t3`.`r_output_audio` AS NUMERIC)
    ) + (
      CAST(`t5`.`output_image_tokens` AS NUMERIC) * CAST(`t3`.`r_output_image` AS NUMERIC)
    ) + (
      CAST(`t5`.`output_video_tokens` AS NUMERIC) * CAST(`t3`.`r_output_video` AS NUMERIC)
    )
  ) + (
    CAST(`t5`.`reasoning_tokens` AS NUMERIC) * CAST(`t3`.`r_reasoning` AS NUMERIC)
  ) AS `_c_output`,
  (
    CAST(`t5`.`web_search_requests` AS NUMERIC) * CAST(`t3`.`r_web_search` AS NUMERIC)
  ) + (
    CAST(`t5`.`requests` AS NUMERIC) * CAST(`t3`.`r_request` AS NUMERIC)
  ) AS `_c_fees`
FROM (
  SELECT
    `t0`.`ts`,
    `t0`.`request_id`,
    `t0`.`provider`,
    `t0`.`model`,
    `t0`.`tenant`,
    `t0`.`user`,
    `t0`.`feature`,
    `t0`.`session`,
    `t0`.`service_tier`,
    `t0`.`region`,
    `t0`.`requests`,
    `t0`.`input_tokens`,
    `t0`.`cache_read_tokens`,
    `t0`.`cache_write_5m_tokens`,
    `t0`.`cache_write_1h_tokens`,
    `t0`.`cache_write_other_tokens`,
    `t0`.`output_tokens`,
    `t0`.`reasoning_tokens`,
    `t0`.`input_audio_tokens`,
    `t0`.`input_image_tokens`,
    `t0`.`input_video_tokens`,
    `t0`.`cache_read_audio_tokens`,
    `t0`.`cache_read_image_tokens`,
    `t0`.`cache_read_video_tokens`,
    `t0`.`output_audio_tokens`,
    `t0`.`output_image_tokens`,
    `t0`.`output_video_tokens`,
    `t0`.`web_search_requests`,
    `t0`.`reported_cost_usd`,
    `t0`.`cost_source`,
    `t0`.`source_file`,
    `t0`.`source_line`,
    `t0`.`_ok`,
    `t0`.`_problem`,
    `t0`.`_src`,
    `t0`.`_ts_order`,
    CAST(FLOOR(
      ieee_divide(
        (
          CAST(MOD(EXTRACT(dayofweek FROM `t0`.`ts`) + 5, 7) AS INT64) * 86400
        ) + (
          CAST(EXTRACT(hour FROM `t0`.`ts`) AS INT64) * 3600
        ) + (
          CAST(EXTRACT(minute FROM `t0`.`ts`) AS INT64) * 60
        ) + CAST(EXTRACT(second FROM `t0`.`ts`) AS INT64),
        3600
      )
    ) AS INT64) + (
      (
        0 + CASE
          WHEN (
            `t0`.`input_tokens` + `t0`.`cache_read_tokens` + `t0`.`cache_write_5m_tokens` + `t0`.`cache_write_1h_tokens` + `t0`.`cache_write_other_tokens`
          ) > (
            `t0`.`requests` * 200000
          )
          THEN 1
          ELSE 0
        END
      ) * 168
    ) + (
      (
        0 + CASE WHEN `t0`.`ts` >= DATETIME('2026-08-17T00:00:00') THEN 1 ELSE 0 END + CASE WHEN `t0`.`ts` >= DATETIME('2026-08-23T00:00:00') THEN 1 ELSE 0 END + CASE WHEN `t0`.`ts` >= DATETIME('2026-10-14T00:00:00') THEN 1 ELSE 0 END
      ) * 336
    ) AS `_cell`
  FROM `ledger` AS `t0`
) AS `t5`
LEFT OUTER JOIN (
  SELECT
    `t1`.`r_input`,
    `t1`.`r_cache_read`,
    `t1`.`r_cache_write_5m`,
    `t1`.`r_cache_write_1h`,
    `t1`.`r_cache_write_other`,
    `t1`.`r_output`,
    `t1`.`r_reasoning`,
    `t1`.`r_input_audio`,
    `t1`.`r_input_image`,
    `t1`.`r_input_video`,
    `t1`.`r_cache_read_audio`,
    `t1`.`r_cache_read_image`,
    `t1`.`r_cache_read_video`,
    `t1`.`r_output_audio`,
    `t1`.`r_output_image`,
    `t1`.`r_output_video`,
    `t1`.`r_web_search`,
    `t1`.`r_request`,
    `t1`.`m_web_search`,
    `t1`.`m_input_audio`,
    `t1`.`m_input_image`,
    `t1`.`m_input_video`,
    `t1`.`m_cache_read_audio`,
    `t1`.`m_cache_read_image`,
    `t1`.`m_cache_read_video`,
    `t1`.`m_output_audio`,
    `t1`.`m_output_image`,
    `t1`.`m_output_video`,
    `t1`.`entry`,
    `t1`.`match`,
    `t1`.`matched_model`,
    `t1`.`reason`,
    `t1`.`invalid`,
    `t1`.`provider` AS `_k_provider`,
    `t1`.`model` AS `_k_model`,
    `t1`.`service_tier` AS `_k_service_tier`,
    `t1`.`region` AS `_k_region`,
    `t1`.`_cell`
  FROM `rates` AS `t1`
) AS `t3`
  ON `t5`.`provider` = `t3`.`_k_provider`
  AND `t5`.`model` = `t3`.`_k_model`
  AND `t5`.`service_tier` IS NOT DISTINCT FROM `t3`.`_k_service_tier`
  AND `t5`.`region` IS NOT DISTINCT FROM `t3`.`_k_region`
  AND `t5`.`_cell` = `t3`.`_cell`
