/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The log search API: {@code /api/logs} search, histogram, field facets and live tail (Server-Sent
 * Events), over {@link io.faultline.core.log.LogQueries}.
 */
package io.faultline.web.logs;
