/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A {@link TestbedTestCase} with a started agent on node-a, closed after each test before the
 * testbed. A test may replace {@link #agent}; the one there at the end is closed.
 */
abstract class AgentTestCase extends TestbedTestCase {
  /** Fails inventory slowly for 30 s; {@code %s}: the steady-state query, then the halt query. */
  static final String SLOW_INVENTORY = """
      title: gateway survives a slow inventory
      targets: [{service: inventory}]
      steadyState:
        - {type: promql, name: gateway errors, query: "%s", tolerance: {max: 0.5}}
      method:
        - {name: slow-inventory, type: fake, target: inventory, duration: 30s, parameters: {latencyMs: 400}}
      haltWhen:
        - {type: promql, name: error storm, query: "%s"}
      recoveryDeadline: 20s
      """;

  ChaosAgent agent;

  /** The agent each test starts with; override to give it more, e.g. an alert status. */
  ChaosAgent newAgent() {
    return bed.agent(Testbed.settings("node-a"));
  }

  @BeforeEach
  void startAgent() {
    agent = newAgent();
  }

  @AfterEach
  void closeAgent() {
    agent.close();
  }
}
