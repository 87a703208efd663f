/**
 * SOAP 1.2 request envelopes for the operations the client uses. Each body element declares its own
 * default namespace, so the envelope carries only the SOAP (and, with credentials, the wsse) namespaces.
 */

import { xmlEscape } from '../xml.js';
import type { StreamTransport } from './types.js';
import {
  BASE64_ENCODING_TYPE,
  PASSWORD_DIGEST_TYPE,
  type UsernameToken,
  WSSE_NS,
  WSU_NS,
} from './ws-security.js';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  device: 'http://www.onvif.org/ver10/device/wsdl',
  media: 'http://www.onvif.org/ver10/media/wsdl',
  media2: 'http://www.onvif.org/ver20/media/wsdl',
  events: 'http://www.onvif.org/ver10/events/wsdl',
  imaging: 'http://www.onvif.org/ver20/imaging/wsdl',
  schema: 'http://www.onvif.org/ver10/schema',
} as const;

/** One request: the operation name, its SOAP action and the body element. */
export interface SoapRequest {
  operation: string;
  /** the SOAP 1.2 action (namespace + '/' + operation), sent in the Content-Type action parameter */
  action: string;
  body: string;
}

function request(ns: string, operation: string, inner = ''): SoapRequest {
  const body =
    inner === '' ? `<${operation} xmlns="${ns}"/>` : `<${operation} xmlns="${ns}">${inner}</${operation}>`;
  return { operation, action: `${ns}/${operation}`, body };
}

function el(name: string, value: string): string {
  return `<${name}>${xmlEscape(value)}</${name}>`;
}

export const requests = {
  getDeviceInformation: () => request(NS.device, 'GetDeviceInformation'),
  getCapabilities: () => request(NS.device, 'GetCapabilities', el('Category', 'All')),
  getServices: () => request(NS.device, 'GetServices', el('IncludeCapability', 'false')),
  getSystemDateAndTime: () => request(NS.device, 'GetSystemDateAndTime'),
  getProfiles: () => request(NS.media, 'GetProfiles'),
  getStreamUri: (profileToken: string, transport: StreamTransport) =>
    request(
      NS.media,
      'GetStreamUri',
      '<StreamSetup>' +
        `<Stream xmlns="${NS.schema}">RTP-Unicast</Stream>` +
        `<Transport xmlns="${NS.schema}"><Protocol>${transport}</Protocol></Transport>` +
        `</StreamSetup>${el('ProfileToken', profileToken)}`,
    ),
  getSnapshotUri: (profileToken: string) =>
    request(NS.media, 'GetSnapshotUri', el('ProfileToken', profileToken)),
  /** Media1 trt:GetOSDs (Media 2.6+ devices without a Media2 service) */
  getOsdsMedia1: (configurationToken?: string) =>
    request(NS.media, 'GetOSDs', configurationToken ? el('ConfigurationToken', configurationToken) : ''),
  /** Media2 tr2:GetOSDs */
  getOsdsMedia2: (configurationToken?: string) =>
    request(NS.media2, 'GetOSDs', configurationToken ? el('ConfigurationToken', configurationToken) : ''),
} as const;

/** The wsse:Security header block for a UsernameToken (the envelope prefix is s). */
export function securityHeaderXml(token: UsernameToken): string {
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}">` +
    '<wsse:UsernameToken>' +
    el('wsse:Username', token.username) +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${token.passwordDigest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_ENCODING_TYPE}">${token.nonce}</wsse:Nonce>` +
    `<wsu:Created>${token.created}</wsu:Created>` +
    '</wsse:UsernameToken></wsse:Security>'
  );
}

/** A complete SOAP 1.2 envelope; with a token, the header carries WS-Security. */
export function buildEnvelope(req: SoapRequest, token?: UsernameToken): string {
  const header = token ? `<s:Header>${securityHeaderXml(token)}</s:Header>` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}">${header}<s:Body>${req.body}</s:Body></s:Envelope>`
  );
}
