/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jetty.HttpsConnectorFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.util.Duration;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tls} settings: what a good key store gives, and what a bad one tells the operator. */
class ServerTlsTest {
  @TempDir static Path dir;
  static Path keyStore;

  @BeforeAll
  static void keyStore() throws Exception {
    keyStore = TestKeyStores.generate(dir);
  }

  private static FaultlineConfiguration.Tls tls(String path, String password) {
    FaultlineConfiguration.Tls tls = new FaultlineConfiguration.Tls();
    tls.enabled = true;
    tls.keyStorePath = path;
    tls.keyStorePassword = password;
    return tls;
  }

  private static FaultlineConfiguration parse(Path file) throws Exception {
    ObjectMapper mapper = Jackson.newObjectMapper();
    return new YamlConfigurationFactory<>(
            FaultlineConfiguration.class, Validators.newValidator(), mapper, "dw")
        .build(
            new DefaultsFirstSourceProvider(
                new FileConfigurationSourceProvider(),
                () -> mapper.valueToTree(new FaultlineConfiguration()),
                mapper),
            file.toString());
  }

  @Test
  void theExampleConfigHasTlsOff() throws Exception {
    FaultlineConfiguration.Tls tls = parse(Path.of("..", "config.example.yml")).getTls();
    assertThat(tls.enabled).isFalse();
    assertThat(tls.keyStoreType).isEqualTo("PKCS12");
  }

  @Test
  void theEnvironmentSetsEveryTlsSetting() throws Exception {
    Map<String, String> env =
        Map.of(
            "FAULTLINE_TLS_ENABLED", "true",
            "FAULTLINE_TLS_KEY_STORE_PATH", keyStore.toString(),
            "FAULTLINE_TLS_KEY_STORE_PASSWORD", TestKeyStores.PASSWORD,
            "FAULTLINE_TLS_KEY_STORE_TYPE", "JKS");
    try {
      EnvironmentOverrides.apply(new String[0], env);
      FaultlineConfiguration.Tls tls =
          parse(Files.writeString(dir.resolve("empty.yml"), "dataDir: ./data\n")).getTls();
      assertThat(tls.enabled).isTrue();
      assertThat(tls.keyStorePath).isEqualTo(keyStore.toString());
      assertThat(tls.keyStorePassword).isEqualTo(TestKeyStores.PASSWORD);
      assertThat(tls.keyStoreType).isEqualTo("JKS");
    } finally {
      env.keySet()
          .forEach(var -> System.clearProperty("dw." + EnvironmentOverrides.VARIABLES.get(var)));
    }
  }

  @Test
  void disabledByDefault() {
    assertThat(new FaultlineConfiguration().getTls().enabled).isFalse();
    assertThat(ServerTls.load(new FaultlineConfiguration().getTls())).isEmpty();
  }

  @Test
  void aGoodKeyStoreGivesKeyManagers() {
    ServerTls tls = ServerTls.load(tls(keyStore.toString(), TestKeyStores.PASSWORD)).orElseThrow();
    assertThat(tls.keyManagers().getKeyManagers()).isNotEmpty();
    assertThat(tls.keyStorePath()).isEqualTo(keyStore.toAbsolutePath().normalize());
  }

  @Test
  void enabledWithoutAKeyStoreNamesTheSettingAndShowsHowToMakeOne() {
    assertThatThrownBy(() -> ServerTls.load(tls(null, "x")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("tls.keyStorePath is not set")
        .hasMessageContaining("FAULTLINE_TLS_KEY_STORE_PATH")
        .hasMessageContaining("keytool -genkeypair");
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope.p12");
    assertThatThrownBy(() -> ServerTls.load(tls(missing.toString(), "x")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("tls.keyStorePath")
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void aMissingPasswordIsNamed() {
    assertThatThrownBy(() -> ServerTls.load(tls(keyStore.toString(), null)))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("tls.keyStorePassword is not set");
  }

  @Test
  void aWrongPasswordIsNamed() {
    assertThatThrownBy(() -> ServerTls.load(tls(keyStore.toString(), "wrong")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("tls.keyStorePassword does not open the key store")
        .hasMessageContaining(keyStore.toString());
  }

  @Test
  void aFileThatIsNoKeyStoreIsNamed() throws Exception {
    Path text = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n");
    assertThatThrownBy(() -> ServerTls.load(tls(text.toString(), "x")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("is not a PKCS12 key store that can be read");
  }

  @Test
  void anUnknownTypeIsNamed() {
    FaultlineConfiguration.Tls tls = tls(keyStore.toString(), TestKeyStores.PASSWORD);
    tls.keyStoreType = "PEM-ISH";
    assertThatThrownBy(() -> ServerTls.load(tls))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("tls.keyStoreType 'PEM-ISH'");
  }

  @Test
  void aTrustStoreWithoutPrivateKeyIsRefused() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", TestKeyStores.certificate(keyStore));
    Path file = dir.resolve("trust.p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      trust.store(out, "trustpass".toCharArray());
    }
    assertThatThrownBy(() -> ServerTls.load(tls(file.toString(), "trustpass")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("holds no private key");
  }

  @Test
  void plainConnectorsBecomeHttpsWithTheirAddressAndSettings() {
    ServerTls tls = ServerTls.load(tls(keyStore.toString(), TestKeyStores.PASSWORD)).orElseThrow();
    DefaultServerFactory server = (DefaultServerFactory) new FaultlineConfiguration().getServerFactory();
    ((HttpConnectorFactory) server.getApplicationConnectors().get(0))
        .setIdleTimeout(Duration.seconds(42));
    HttpsConnectorFactory own = new HttpsConnectorFactory();
    own.setKeyStorePath("/etc/own.p12");
    server.setAdminConnectors(List.of(server.getAdminConnectors().get(0), own));

    tls.secure(server);

    HttpsConnectorFactory app = (HttpsConnectorFactory) server.getApplicationConnectors().get(0);
    assertThat(app.getBindHost()).isEqualTo("127.0.0.1");
    assertThat(app.getPort()).isEqualTo(8080);
    assertThat(app.getIdleTimeout()).isEqualTo(Duration.seconds(42));
    assertThat(app.getKeyStorePath()).isEqualTo(keyStore.toAbsolutePath().normalize().toString());
    assertThat(app.getKeyStoreType()).isEqualTo("PKCS12");
    HttpsConnectorFactory admin = (HttpsConnectorFactory) server.getAdminConnectors().get(0);
    assertThat(admin.getPort()).isEqualTo(8081);
    assertThat(admin.getKeyStorePath()).isEqualTo(app.getKeyStorePath());
    // an https connector the operator configured keeps its own key store
    assertThat(server.getAdminConnectors().get(1)).isSameAs(own);
  }

  @Test
  void theSimpleServersConnectorBecomesHttps() {
    ServerTls tls = ServerTls.load(tls(keyStore.toString(), TestKeyStores.PASSWORD)).orElseThrow();
    SimpleServerFactory simple = new SimpleServerFactory();
    tls.secure(simple);
    assertThat(simple.getConnector()).isInstanceOf(HttpsConnectorFactory.class);
  }
}
