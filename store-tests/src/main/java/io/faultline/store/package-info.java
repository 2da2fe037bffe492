/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Contract suites that every store implementation passes, and the shared test data they use.
 * Backends depend on this module with test scope and extend the suites.
 */
package io.faultline.store;
