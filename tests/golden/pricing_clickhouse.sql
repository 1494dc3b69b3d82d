SELECT
  "t5"."ts" AS "ts",
  "t5"."request_id" AS "request_id",
  "t5"."provider" AS "provider",
  "t5"."model" AS "model",
  "t5"."tenant" AS "tenant",
  "t5"."user" AS "user",
  "t5"."feature" AS "feature",
  "t5"."session" AS "session",
  "t5"."service_tier" AS "service_tier",
  "t5"."region" AS "region",
  "t5"."requests" AS "requests",
  "t5"."input_tokens" AS "input_tokens",
  "t5"."cache_read_tokens" AS "cache_read_tokens",
  "t5"."cache_write_5m_tokens" AS "cache_write_5m_tokens",
  "t5"."cache_write_1h_tokens" AS "cache_write_1h_tokens",
  "t5"."cache_write_other_tokens" AS "cache_write_other_tokens",
  "t5"."output_tokens" AS "output_tokens",
  "t5"."reasoning_tokens" AS "reasoning_tokens",
  "t5"."input_audio_tokens" AS "input_audio_tokens",
  "t5"."input_image_tokens" AS "input_image_tokens",
  "t5"."input_video_tokens" AS "input_video_tokens",
  "t5"."cache_read_audio_tokens" AS "cache_read_audio_tokens",
  "t5"."cache_read_image_tokens" AS "cache_read_image_tokens",
  "t5"."cache_read_video_tokens" AS "cache_read_video_tokens",
  "t5"."output_audio_tokens" AS "output_audio_tokens",
  "t5"."output_image_tokens" AS "output_image_tokens",
  "t5"."output_video_tokens" AS "output_video_tokens",
  "t5"."web_search_requests" AS "web_search_requests",
  "t5"."reported_cost_usd" AS "reported_cost_usd",
  "t5"."cost_source" AS "cost_source",
  "t5"."source_file" AS "source_file",
  "t5"."source_line" AS "source_line",
  "t3"."entry" AS "price_entry",
  "t3"."match" AS "match",
  "t3"."matched_model" AS "matched_model",
  CASE
    WHEN NOT (
      "t5"."_ok"
    ) OR COALESCE("t3"."invalid", FALSE)
    THEN 'quarantined'
    WHEN isNotNull("t3"."reason")
    THEN CONCAT('unpriced: ', "t3"."reason")
    WHEN isNull("t3"."entry")
    THEN 'unpriced: no rate row matched (please report this)'
    WHEN "t3"."m_web_search" AND (
      "t5"."web_search_requests" > 0
    )
    THEN CONCAT(
      'unpriced: no web search price for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_input_audio" AND (
      "t5"."input_audio_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no audio input rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_input_image" AND (
      "t5"."input_image_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no image input rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_input_video" AND (
      "t5"."input_video_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no video input rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_cache_read_audio" AND (
      "t5"."cache_read_audio_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no audio cache read rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_cache_read_image" AND (
      "t5"."cache_read_image_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no image cache read rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_cache_read_video" AND (
      "t5"."cache_read_video_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no video cache read rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_output_audio" AND (
      "t5"."output_audio_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no audio output rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_output_image" AND (
      "t5"."output_image_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no image output rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    WHEN "t3"."m_output_video" AND (
      "t5"."output_video_tokens" > 0
    )
    THEN CONCAT(
      'unpriced: no video output rate for ',
      splitByString(' ', CAST("t3"."entry" AS String))[1]
    )
    ELSE 'priced'
  END AS "status",
  NOT (
    "t5"."_ok"
  ) OR COALESCE("t3"."invalid", FALSE) AS "_quarantined",
  (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND (
      isNotNull("t3"."reason") OR isNull("t3"."entry")
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_web_search"
    AND (
      "t5"."web_search_requests" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_input_audio"
    AND (
      "t5"."input_audio_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_input_image"
    AND (
      "t5"."input_image_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_input_video"
    AND (
      "t5"."input_video_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_cache_read_audio"
    AND (
      "t5"."cache_read_audio_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_cache_read_image"
    AND (
      "t5"."cache_read_image_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_cache_read_video"
    AND (
      "t5"."cache_read_video_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_output_audio"
    AND (
      "t5"."output_audio_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_output_image"
    AND (
      "t5"."output_image_tokens" > 0
    )
  )
  OR (
    NOT (
      NOT (
        "t5"."_ok"
      ) OR COALESCE("t3"."invalid", FALSE)
    )
    AND "t3"."m_output_video"
    AND (
      "t5"."output_video_tokens" > 0
    )
  ) AS "_unpriced",
  (
    (
      CAST("t5"."input_tokens" AS Nullable(Decimal(38, 0))) - (
        CAST("t5"."input_audio_tokens" AS Nullable(Decimal(38, 0))) + CAST("t5"."input_image_tokens" AS Nullable(Decimal(38, 0))) + CAST("t5"."input_video_tokens" AS Nullable(Decimal(38, 0)))
      )
    ) * CAST("t3"."r_input" AS Nullable(Decimal(38, 0)))
  ) + (
    (
      CAST("t5"."input_audio_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_input_audio" AS Nullable(Decimal(38, 0)))
    ) + (
      CAST("t5"."input_image_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_input_image" AS Nullable(Decimal(38, 0)))
    ) + (
      CAST("t5"."input_video_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_input_video" AS Nullable(Decimal(38, 0)))
    )
  ) AS "_c_input",
  (
    (
      CAST("t5"."cache_read_tokens" AS Nullable(Decimal(38, 0))) - (
        CAST("t5"."cache_read_audio_tokens" AS Nullable(Decimal(38, 0))) + CAST("t5"."cache_read_image_tokens" AS Nullable(Decimal(38, 0))) + CAST("t5"."cache_read_video_tokens" AS Nullable(Decimal(38, 0)))
      )
    ) * CAST("t3"."r_cache_read" AS Nullable(Decimal(38, 0)))
  ) + (
    (
      CAST("t5"."cache_read_audio_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_cache_read_audio" AS Nullable(Decimal(38, 0)))
    ) + (
      CAST("t5"."cache_read_image_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_cache_read_image" AS Nullable(Decimal(38, 0)))
    ) + (
      CAST("t5"."cache_read_video_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_cache_read_video" AS Nullable(Decimal(38, 0)))
    )
  ) AS "_c_cache_read",
  (
    CAST("t5"."cache_write_5m_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_cache_write_5m" AS Nullable(Decimal(38, 0)))
  ) + (
    CAST("t5"."cache_write_1h_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_cache_write_1h" AS Nullable(Decimal(38, 0)))
  ) + (
    CAST("t5"."cache_write_other_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_cache_write_other" AS Nullable(Decimal(38, 0)))
  ) AS "_c_cache_write",
  (
    (
      (
        CAST("t5"."output_tokens" AS Nullable(Decimal(38, 0))) - CAST("t5"."reasoning_tokens" AS Nullable(Decimal(38, 0)))
      ) - (
        CAST("t5"."output_audio_tokens" AS Nullable(Decimal(38, 0))) + CAST("t5"."output_image_tokens" AS Nullable(Decimal(38, 0))) + CAST("t5"."output_video_tokens" AS Nullable(Decimal(38, 0)))
      )
    ) * CAST("t3"."r_output" AS Nullable(Decimal(38, 0)))
  ) + (
    (
      CAST("t5"."output_audio_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_output_audio" AS Nullable(Decimal(38, 0)))
    ) + (
      CAST("t5"."output_image_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_output_image" AS Nullable(Decimal(38, 0)))
    ) + (
      CAST("t5"."output_video_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_output_video" AS Nullable(Decimal(38, 0)))
    )
  ) + (
    CAST("t5"."reasoning_tokens" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_reasoning" AS Nullable(Decimal(38, 0)))
  ) AS "_c_output",
  (
    CAST("t5"."web_search_requests" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_web_search" AS Nullable(Decimal(38, 0)))
  ) + (
    CAST("t5"."requests" AS Nullable(Decimal(38, 0))) * CAST("t3"."r_request" AS Nullable(Decimal(38, 0)))
  ) AS "_c_fees"
FROM (
  SELECT
    "t0"."ts" AS "ts",
    "t0"."request_id" AS "request_id",
    "t0"."provider" AS "provider",
    "t0"."model" AS "model",
    "t0"."tenant" AS "tenant",
    "t0"."user" AS "user",
    "t0"."feature" AS "feature",
    "t0"."session" AS "session",
    "t0"."service_tier" AS "service_tier",
    "t0"."region" AS "region",
    "t0"."requests" AS "requests",
    "t0"."input_tokens" AS "input_tokens",
    "t0"."cache_read_tokens" AS "cache_read_tokens",
    "t0"."cache_write_5m_tokens" AS "cache_write_5m_tokens",
    "t0"."cache_write_1h_tokens" AS "cache_write_1h_tokens",
    "t0"."cache_write_other_tokens" AS "cache_write_other_tokens",
    "t0"."output_tokens" AS "output_tokens",
    "t0"."reasoning_tokens" AS "reasoning_tokens",
    "t0"."input_audio_tokens" AS "input_audio_tokens",
    "t0"."input_image_tokens" AS "input_image_tokens",
    "t0"."input_video_tokens" AS "input_video_tokens",
    "t0"."cache_read_audio_tokens" AS "cache_read_audio_tokens",
    "t0"."cache_read_image_tokens" AS "cache_read_image_tokens",
    "t0"."cache_read_video_tokens" AS "cache_read_video_tokens",
    "t0"."output_audio_tokens" AS "output_audio_tokens",
    "t0"."output_image_tokens" AS "output_image_tokens",
    "t0"."output_video_tokens" AS "output_video_tokens",
    "t0"."web_search_requests" AS "web_search_requests",
    "t0"."reported_cost_usd" AS "reported_cost_usd",
    "t0"."cost_source" AS "cost_source",
    "t0"."source_file" AS "source_file",
    "t0"."source_line" AS "source_line",
    "t0"."_ok" AS "_ok",
    "t0"."_problem" AS "_problem",
    "t0"."_src" AS "_src",
    "t0"."_ts_order" AS "_ts_order",
    CAST(FLOOR(
      (
        (
          CAST((
            (
              (
                toDayOfWeek("t0"."ts") - 1
              ) % 7
            ) + 7
          ) % 7 AS Nullable(Int64)) * 86400
        ) + (
          CAST(toHour("t0"."ts") AS Nullable(Int64)) * 3600
        ) + (
          CAST(toMinute("t0"."ts") AS Nullable(Int64)) * 60
        ) + CAST(toSecond("t0"."ts") AS Nullable(Int64))
      ) / (
        3600
      )
    ) AS Nullable(Int64)) + (
      (
        0 + CASE
          WHEN (
            "t0"."input_tokens" + "t0"."cache_read_tokens" + "t0"."cache_write_5m_tokens" + "t0"."cache_write_1h_tokens" + "t0"."cache_write_other_tokens"
          ) > (
            "t0"."requests" * 200000
          )
          THEN 1
          ELSE 0
        END
      ) * 168
    ) + (
      (
        0 + CASE
          WHEN "t0"."ts" >= parseDateTimeBestEffort('2026-08-17T00:00:00')
          THEN 1
          ELSE 0
        END + CASE
          WHEN "t0"."ts" >= parseDateTimeBestEffort('2026-08-23T00:00:00')
          THEN 1
          ELSE 0
        END + CASE
          WHEN "t0"."ts" >= parseDateTimeBestEffort('2026-10-14T00:00:00')
          THEN 1
          ELSE 0
        END
      ) * 336
    ) AS "_cell"
  FROM "ledger" AS "t0"
) AS "t5"
LEFT OUTER JOIN (
  SELECT
    "t1"."r_input" AS "r_input",
    "t1"."r_cache_read" AS "r_cache_read",
    "t1"."r_cache_write_5m" AS "r_cache_write_5m",
    "t1"."r_cache_write_1h" AS "r_cache_write_1h",
    "t1"."r_cache_write_other" AS "r_cache_write_other",
    "t1"."r_output" AS "r_output",
    "t1"."r_reasoning" AS "r_reasoning",
    "t1"."r_input_audio" AS "r_input_audio",
    "t1"."r_input_image" AS "r_input_image",
    "t1"."r_input_video" AS "r_input_video",
    "t1"."r_cache_read_audio" AS "r_cache_read_audio",
    "t1"."r_cache_read_image" AS "r_cache_read_image",
    "t1"."r_cache_read_video" AS "r_cache_read_video",
    "t1"."r_output_audio" AS "r_output_audio",
    "t1"."r_output_image" AS "r_output_image",
    "t1"."r_output_video" AS "r_output_video",
    "t1"."r_web_search" AS "r_web_search",
    "t1"."r_request" AS "r_request",
    "t1"."m_web_search" AS "m_web_search",
    "t1"."m_input_audio" AS "m_input_audio",
    "t1"."m_input_image" AS "m_input_image",
    "t1"."m_input_video" AS "m_input_video",
    "t1"."m_cache_read_audio" AS "m_cache_read_audio",
    "t1"."m_cache_read_image" AS "m_cache_read_image",
    "t1"."m_cache_read_video" AS "m_cache_read_video",
    "t1"."m_output_audio" AS "m_output_audio",
    "t1"."m_output_image" AS "m_output_image",
    "t1"."m_output_video" AS "m_output_video",
    "t1"."entry" AS "entry",
    "t1"."match" AS "match",
    "t1"."matched_model" AS "matched_model",
    "t1"."reason" AS "reason",
    "t1"."invalid" AS "invalid",
    "t1"."provider" AS "_k_provider",
    "t1"."model" AS "_k_model",
    "t1"."service_tier" AS "_k_service_tier",
    "t1"."region" AS "_k_region",
    "t1"."_cell" AS "_cell"
  FROM "rates" AS "t1"
) AS "t3"
  ON "t5"."provider" = "t3"."_k_provider"
  AND "t5"."model" = "t3"."_k_model"
  AND "t5"."service_tier" IS NOT DISTINCT FROM "t3"."_k_service_tier"
  AND "t5"."region" IS NOT DISTINCT FROM "t3"."_k_region"
  AND "t5"."_cell" = "t3"."_cell"
