/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jetty.HttpsConnectorFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code tls} settings, checked once at start: the key store is opened and its private key
 * read before any listener binds, so a wrong path or password stops the server with a message that
 * names the setting (an {@link InvalidSettingException}) instead of failing on the first
 * connection. The receivers get its {@link #keyManagers()}; the Dropwizard connectors (query API
 * and admin) are switched to HTTPS with the same key store by {@link #secure(ServerFactory)}.
 */
final class ServerTls {
  private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

  static final String KEYTOOL_EXAMPLE =
      "keytool -genkeypair -alias faultline -keyalg EC -groupname secp256r1 -validity 365"
          + " -dname CN=localhost -ext san=dns:localhost,ip:127.0.0.1 -storetype PKCS12"
          + " -keystore faultline.p12 -storepass CHANGEIT";

  private final Path keyStorePath;
  private final String keyStorePassword;
  private final String keyStoreType;
  private final KeyManagerFactory keyManagers;

  private ServerTls(Path path, String password, String type, KeyManagerFactory keyManagers) {
    this.keyStorePath = path;
    this.keyStorePassword = password;
    this.keyStoreType = type;
    this.keyManagers = keyManagers;
  }

  /**
   * Opens the key store when TLS is enabled; empty when it is not.
   *
   * @throws InvalidSettingException when the key store is not set, cannot be read or opened with
   *     the password, or holds no private key
   */
  static Optional<ServerTls> load(FaultlineConfiguration.Tls config) {
    if (!config.enabled) {
      return Optional.empty();
    }
    if (config.keyStorePath == null || config.keyStorePath.isBlank()) {
      throw new InvalidSettingException(
          "tls.enabled is true but tls.keyStorePath is not set. Set tls.keyStorePath (or"
              + " FAULTLINE_TLS_KEY_STORE_PATH) to a PKCS12 file with the server's private key and"
              + " certificate, for example one made with: "
              + KEYTOOL_EXAMPLE
              + "; or set tls.enabled to false");
    }
    Path path = Path.of(config.keyStorePath).toAbsolutePath().normalize();
    if (config.keyStorePassword == null) {
      throw new InvalidSettingException(
          "tls.keyStorePassword is not set. Set it (or FAULTLINE_TLS_KEY_STORE_PASSWORD) to the"
              + " password of the key store "
              + path);
    }
    KeyStore store;
    try {
      store = KeyStore.getInstance(config.keyStoreType);
    } catch (KeyStoreException e) {
      throw new InvalidSettingException(
          "tls.keyStoreType '"
              + config.keyStoreType
              + "' is not a key store type this Java runtime knows. Use PKCS12 (the default) or"
              + " JKS");
    }
    char[] password = config.keyStorePassword.toCharArray();
    try (InputStream in = Files.newInputStream(path)) {
      store.load(in, password);
    } catch (NoSuchFileException e) {
      throw new InvalidSettingException(
          "tls.keyStorePath: "
              + path
              + " does not exist. Set tls.keyStorePath (or FAULTLINE_TLS_KEY_STORE_PATH) to the"
              + " key store's file; a relative path is read from the directory Faultline starts"
              + " in");
    } catch (AccessDeniedException e) {
      throw new InvalidSettingException(
          "tls.keyStorePath: "
              + path
              + " cannot be read by this user. Let the user running Faultline read it (chmod,"
              + " chown)");
    } catch (IOException e) {
      if (isWrongPassword(e)) {
        throw new InvalidSettingException(
            "tls.keyStorePassword does not open the key store "
                + path
                + ". Set tls.keyStorePassword (or FAULTLINE_TLS_KEY_STORE_PASSWORD) to its"
                + " password");
      }
      throw new InvalidSettingException(
          "tls.keyStorePath: "
              + path
              + " is not a "
              + config.keyStoreType
              + " key store that can be read ("
              + e.getMessage()
              + "). Check the file, and tls.keyStoreType if it is a JKS key store",
          e);
    } catch (GeneralSecurityException e) {
      throw new InvalidSettingException(
          "tls.keyStorePath: the key store "
              + path
              + " cannot be opened ("
              + e.getMessage()
              + "). Check the file and tls.keyStoreType",
          e);
    }
    checkKeyEntry(store, path);
    KeyManagerFactory keyManagers;
    try {
      keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(store, password);
    } catch (UnrecoverableKeyException e) {
      throw new InvalidSettingException(
          "the private key in "
              + path
              + " has another password than the key store (tls.keyStorePassword). Give the key"
              + " the key store's password (keytool -keypasswd)",
          e);
    } catch (GeneralSecurityException e) {
      throw new InvalidSettingException(
          "tls.keyStorePath: the key in " + path + " cannot be used (" + e.getMessage() + ")", e);
    }
    return Optional.of(new ServerTls(path, config.keyStorePassword, config.keyStoreType, keyManagers));
  }

  private static boolean isWrongPassword(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnrecoverableKeyException
          || (t.getMessage() != null && t.getMessage().contains("password was incorrect"))) {
        return true;
      }
    }
    return false;
  }

  private static void checkKeyEntry(KeyStore store, Path path) {
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias)) {
          warnIfNotValidNow(store.getCertificate(alias), alias, path);
          return;
        }
      }
    } catch (KeyStoreException e) {
      throw new IllegalStateException("the key store was loaded", e);
    }
    throw new InvalidSettingException(
        "tls.keyStorePath: "
            + path
            + " holds no private key, only certificates. Faultline needs the server's private key"
            + " and certificate chain in it, for example from: "
            + KEYTOOL_EXAMPLE);
  }

  private static void warnIfNotValidNow(Certificate certificate, String alias, Path path) {
    if (certificate instanceof X509Certificate x509) {
      try {
        x509.checkValidity();
      } catch (CertificateExpiredException | CertificateNotYetValidException e) {
        LOG.warn(
            "the TLS certificate '{}' in {} is not valid now ({}); clients will refuse it",
            alias,
            path,
            e.getMessage());
      }
    }
  }

  /** The server's key and certificate, for the OTLP receivers and the Logstash input. */
  KeyManagerFactory keyManagers() {
    return keyManagers;
  }

  Path keyStorePath() {
    return keyStorePath;
  }

  /**
   * Switches every plain HTTP connector of {@code server} (query API and admin) to HTTPS with this
   * key store, keeping its address and other settings. A connector configured as {@code https}
   * already keeps its own key store.
   *
   * @throws InvalidSettingException for a connector or server type that cannot be switched
   */
  void secure(ServerFactory server) {
    if (server instanceof DefaultServerFactory d) {
      d.setApplicationConnectors(secure(d.getApplicationConnectors(), "server.applicationConnectors"));
      d.setAdminConnectors(secure(d.getAdminConnectors(), "server.adminConnectors"));
    } else if (server instanceof SimpleServerFactory s) {
      s.setConnector(secure(s.getConnector(), "server.connector"));
    } else {
      throw new InvalidSettingException(
          "tls.enabled: the server type "
              + server.getClass().getSimpleName()
              + " cannot be switched to TLS. Use the default server or the simple one, or"
              + " configure https connectors yourself and set tls.enabled to false");
    }
  }

  private List<ConnectorFactory> secure(List<ConnectorFactory> connectors, String setting) {
    List<ConnectorFactory> out = new ArrayList<>();
    for (int i = 0; i < connectors.size(); i++) {
      out.add(secure(connectors.get(i), setting + "[" + i + "]"));
    }
    return out;
  }

  private ConnectorFactory secure(ConnectorFactory connector, String setting) {
    if (connector instanceof HttpsConnectorFactory) {
      LOG.info("{} is already https and keeps its own key store", setting);
      return connector;
    }
    if (!(connector instanceof HttpConnectorFactory http)) {
      throw new InvalidSettingException(
          setting
              + ": a connector of type "
              + connector.getClass().getSimpleName()
              + " cannot be switched to TLS. Use type http (Faultline makes it https) or https");
    }
    HttpsConnectorFactory https = new HttpsConnectorFactory();
    https.setBindHost(http.getBindHost());
    https.setPort(http.getPort());
    https.setInheritChannel(http.isInheritChannel());
    https.setHeaderCacheSize(http.getHeaderCacheSize());
    https.setOutputBufferSize(http.getOutputBufferSize());
    https.setMaxRequestHeaderSize(http.getMaxRequestHeaderSize());
    https.setMaxResponseHeaderSize(http.getMaxResponseHeaderSize());
    https.setInputBufferSize(http.getInputBufferSize());
    https.setIdleTimeout(http.getIdleTimeout());
    https.setMinBufferPoolSize(http.getMinBufferPoolSize());
    https.setBufferPoolIncrement(http.getBufferPoolIncrement());
    https.setMaxBufferPoolSize(http.getMaxBufferPoolSize());
    https.setMinResponseDataPerSecond(http.getMinResponseDataPerSecond());
    https.setMinRequestDataPerSecond(http.getMinRequestDataPerSecond());
    https.setAcceptorThreads(http.getAcceptorThreads());
    https.setSelectorThreads(http.getSelectorThreads());
    https.setAcceptQueueSize(http.getAcceptQueueSize());
    https.setReuseAddress(http.isReuseAddress());
    https.setUseServerHeader(http.isUseServerHeader());
    https.setUseDateHeader(http.isUseDateHeader());
    https.setUseForwardedHeaders(http.isUseForwardedHeaders());
    https.setUseProxyProtocol(http.isUseProxyProtocol());
    https.setHttpCompliance(http.getHttpCompliance());
    https.setUriCompliance(http.getUriCompliance());
    https.setRequestCookieCompliance(http.getRequestCookieCompliance());
    https.setResponseCookieCompliance(http.getResponseCookieCompliance());
    https.setKeyStorePath(keyStorePath.toString());
    https.setKeyStorePassword(keyStorePassword);
    https.setKeyStoreType(keyStoreType);
    // as on the OTLP receivers: clients reach the server under names the certificate may not list
    https.setDisableSniHostCheck(true);
    return https;
  }
}
