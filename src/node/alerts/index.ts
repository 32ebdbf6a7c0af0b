export { Alerts, LIMIT_REPEAT_MS, type AlertsDeps, type LimitReached } from './alerts.ts';
export {
  ALERT_EVENTS,
  SIGNATURE_HEADER,
  alertBody,
  alertText,
  signAlertBody,
  type AlertEvent,
  type AlertEventName,
} from './alert-event.ts';
export { DEFAULT_DELIVERY, type DeliveryOptions } from './alert-sender.ts';
export { credentialTransitions, type CredentialView } from './credential-alerts.ts';
