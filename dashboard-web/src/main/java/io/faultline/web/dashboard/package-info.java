/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The web dashboard: a single-page app of plain ES modules, served from the classpath with
 * content-hashed URLs so browsers cache every asset for good and only re-check the index.
 */
package io.faultline.web.dashboard;
