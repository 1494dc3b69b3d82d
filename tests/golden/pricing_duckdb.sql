SELECT
  "t5"."ts",
  "t5"."request_id",
  "t5"."provider",
  "t5"."model",
  "t5"."tenant",
  "t5"."user",
  "t5"."feature",
  "t5"."session",
  "t5"."service_tier",
  "t5"."region",
  "t5"."requests",
  "t5"."input_tokens",
  "t5"."cache_read_tokens",
  "t5"."cache_write_5m_tokens",
  "t5"."cache_write_1h_tokens",
  "t5"."cache_write_other_tokens",
  "t5"."output_tokens",
  "t5"."reasoning_tokens",
  "t5"."input_audio_tokens",
  "t5"."input_image_tokens",
  "t5"."input_video_tokens",
  "t5"."cache_read_audio_tokens",
  "t5"."cache_read_image_tokens",
  "t5"."cache_read_video_tokens",
  "t5"."output_audio_tokens",
  "t5"."output_image_tokens",
  "t5"."output_video_tokens",
  "t5"."web_search_requests",
  "t5"."reported_cost_usd",
  "t5"."cost_source",
  "t5"."source_file",
  "t5"."source_line",
  "t3"."entry" AS "price_entry",
  "t3"."match",
  "t3"."matched_model",
  CASE
    WHEN NOT (
      "t5"."_ok"
    ) OR COALESCE("t3"."invalid", FALSE)
    THEN 'quarantined'
    WHEN "t3"."reason" IS NOT NULL
    THEN 'unpriced: ' || "t3"."reason"
    WHEN "t3"."entry" IS NULL
    THEN 'unpriced: no rate row matched (please report this)'
    WHEN "t3"."m_web_search" AND (
      "t5"."web_search_requests" > 0
    )
    THEN 'unpriced: no web search price for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_input_audio" AND (
      "t5"."input_audio_tokens" > 0
    )
    THEN 'unpriced: no audio input rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_input_image" AND (
      "t5"."input_image_tokens" > 0
    )
    THEN 'unpriced: no image input rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_input_video" AND (
      "t5"."input_video_tokens" > 0
    )
    THEN 'unpriced: no video input rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_cache_read_audio" AND (
      "t5"."cache_read_audio_tokens" > 0
    )
    THEN 'unpriced: no audio cache read rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_cache_read_image" AND (
      "t5"."cache_read_image_tokens" > 0
    )
    THEN 'unpriced: no image cache read rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_cache_read_video" AND (
      "t5"."cache_read_video_tokens" > 0
    )
    THEN 'unpriced: no video cache read rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_output_audio" AND (
      "t5"."output_audio_tokens" > 0
    )
    THEN 'unpriced: no audio output rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_output_image" AND (
      "t5"."output_image_tokens" > 0
    )
    THEN 'unpriced: no image output rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
    WHEN "t3"."m_output_video" AND (
      "t5"."output_video_tokens" > 0
    )
    THEN 'unpriced: no video output rate for ' || LIST_EXTRACT(STR_SPLIT("t3"."entry", ' '), 1)
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
      (
        "t3"."reason" IS NOT NULL
      ) OR (
        "t3"."entry" IS NULL
      )
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
      "t5"."input_tokens" - (
        "t5"."input_audio_tokens" + "t5"."input_image_tokens" + "t5"."input_video_tokens"
      )
    ) * "t3"."r_input"
  ) + (
    (
      "t5"."input_audio_tokens" * "t3"."r_input_audio"
    ) + (
      "t5"."input_image_tokens" * "t3"."r_input_image"
    ) + (
      "t5"."input_video_tokens" * "t3"."r_input_video"
    )
  ) AS "_c_input",
  (
    (
      "t5"."cache_read_tokens" - (
        "t5"."cache_read_audio_tokens" + "t5"."cache_read_image_tokens" + "t5"."cache_read_video_tokens"
      )
    ) * "t3"."r_cache_read"
  ) + (
    (
      "t5"."cache_read_audio_tokens" * "t3"."r_cache_read_audio"
    ) + (
      "t5"."cache_read_image_tokens" * "t3"."r_cache_read_image"
    ) + (
      "t5"."cache_read_video_tokens" * "t3"."r_cache_read_video"
    )
  ) AS "_c_cache_read",
  (
    "t5"."cache_write_5m_tokens" * "t3"."r_cache_write_5m"
  ) + (
    "t5"."cache_write_1h_tokens" * "t3"."r_cache_write_1h"
  ) + (
    "t5"."cache_write_other_tokens" * "t3"."r_cache_write_other"
  ) AS "_c_cache_write",
  (
    (
      (
        "t5"."output_tokens" - "t5"."reasoning_tokens"
      ) - (
        "t5"."output_audio_tokens" + "t5"."output_image_tokens" + "t5"."output_video_tokens"
      )
    ) * "t3"."r_output"
  ) + (
    (
      "t5"."output_audio_tokens" * "t3"."r_output_audio"
    ) + (
      "t5"."output_image_tokens" * "t3"."r_output_image"
    ) + (
      "t5"."output_video_tokens" * "t3"."r_output_video"
    )
  ) + (
    "t5"."reasoning_tokens" * "t3"."r_reasoning"
  ) AS "_c_output",
  (
    "t5"."web_search_requests" * "t3"."r_web_search"
  ) + (
    "t5"."requests" * "t3"."r_request"
  ) AS "_c_fees"
FROM (
  SELECT
    "t0"."ts",
    "t0"."request_id",
    "t0"."provider",
    "t0"."model",
    "t0"."tenant",
    "t0"."user",
    "t0"."feature",
    "t0"."session",
    "t0"."service_tier",
    "t0"."region",
    "t0"."requests",
    "t0"."input_tokens",
    "t0"."cache_read_tokens",
    "t0"."cache_write_5m_tokens",
    "t0"."cache_write_1h_tokens",
    "t0"."cache_write_other_tokens",
    "t0"."output_tokens",
    "t0"."reasoning_tokens",
    "t0"."input_audio_tokens",
    "t0"."input_image_tokens",
    "t0"."input_video_tokens",
    "t0"."cache_read_audio_tokens",
    "t0"."cache_read_image_tokens",
    "t0"."cache_read_video_tokens",
    "t0"."output_audio_tokens",
    "t0"."output_image_tokens",
    "t0"."output_video_tokens",
    "t0"."web_search_requests",
    "t0"."reported_cost_usd",
    "t0"."cost_source",
    "t0"."source_file",
    "t0"."source_line",
    "t0"."_ok",
    "t0"."_problem",
    "t0"."_src",
    "t0"."_ts_order",
    DIVIDE(
      (
        (
          (
            (
              DIVIDE(
                EPOCH_US("t0"."ts") - (
                  (
                    (
                      EPOCH_US("t0"."ts") % 86400000000
                    ) + 86400000000
                  ) % 86400000000
                ),
                86400000000
              ) % 7
            ) + 10
          ) % 7
        ) * 86400
      ) + DIVIDE(
        (
          (
            EPOCH_US("t0"."ts") % 86400000000
          ) + 86400000000
        ) % 86400000000,
        1000000
      ),
      3600
    ) + (
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
        0 + CASE WHEN "t0"."ts" >= MAKE_TIMESTAMP(2026, 8, 17, 0, 0, 0.0) THEN 1 ELSE 0 END + CASE WHEN "t0"."ts" >= MAKE_TIMESTAMP(2026, 8, 23, 0, 0, 0.0) THEN 1 ELSE 0 END + CASE WHEN "t0"."ts" >= MAKE_TIMESTAMP(2026, 10, 14, 0, 0, 0.0) THEN 1 ELSE 0 END
      ) * 336
    ) AS "_cell"
  FROM "ledger" AS "t0"
) AS "t5"
LEFT OUTER JOIN (
  SELECT
    "t1"."r_input",
    "t1"."r_cache_read",
    "t1"."r_cache_write_5m",
    "t1"."r_cache_write_1h",
    "t1"."r_cache_write_other",
    "t1"."r_output",
    "t1"."r_reasoning",
    "t1"."r_input_audio",
    "t1"."r_input_image",
    "t1"."r_input_video",
    "t1"."r_cache_read_audio",
    "t1"."r_cache_read_image",
    "t1"."r_cache_read_video",
    "t1"."r_output_audio",
    "t1"."r_output_image",
    "t1"."r_output_video",
    "t1"."r_web_search",
    "t1"."r_request",
    "t1"."m_web_search",
    "t1"."m_input_audio",
    "t1"."m_input_image",
    "t1"."m_input_video",
    "t1"."m_cache_read_audio",
    "t1"."m_cache_read_image",
    "t1"."m_cache_read_video",
    "t1"."m_output_audio",
    "t1"."m_output_image",
    "t1"."m_output_video",
    "t1"."entry",
    "t1"."match",
    "t1"."matched_model",
    "t1"."reason",
    "t1"."invalid",
    "t1"."provider" AS "_k_provider",
    "t1"."model" AS "_k_model",
    "t1"."service_tier" AS "_k_service_tier",
    "t1"."region" AS "_k_region",
    "t1"."_cell"
  FROM "rates" AS "t1"
) AS "t3"
  ON "t5"."provider" = "t3"."_k_provider"
  AND "t5"."model" = "t3"."_k_model"
  AND "t5"."service_tier" IS NOT DISTINCT FROM "t3"."_k_service_tier"
  AND "t5"."region" IS NOT DISTINCT FROM "t3"."_k_region"
  AND "t5"."_cell" = "t3"."_cell"
