/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** The HTTP resources of the query APIs, one per protocol; each reads through the store SPIs. */
package io.faultline.web.resources;
