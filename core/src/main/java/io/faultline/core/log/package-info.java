/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The logs SPI: {@link io.faultline.core.log.LogStore} (write side through the ingest pipeline,
 * read side as {@link io.faultline.core.log.LogQueries}) and the query and answer types.
 */
package io.faultline.core.log;
