/** Serving certificate material that can change while a server runs (rotation). */

export interface TlsMaterial {
  /** The serving certificate (PEM). */
  readonly certPem: string;
  /** Its private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** The CA bundle clients should trust (PEM, one or more certificates). */
  readonly caPem: string;
}

export interface TlsSource {
  current(): TlsMaterial;
  /** Called after the material changed; returns a function that unsubscribes. */
  onChange(listener: (material: TlsMaterial) => void): () => void;
}
