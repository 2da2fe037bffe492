/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test on a fresh {@link Testbed} in its own temporary folder, closed after each test. */
abstract class TestbedTestCase {
  @TempDir Path dir;
  Testbed bed;

  @BeforeEach
  void startTestbed() throws Exception {
    bed = new Testbed(dir);
  }

  @AfterEach
  void closeTestbed() throws Exception {
    bed.close();
  }
}
