export * from './nginx-access.parser';
export * from './nginx-error.parser';
export * from './nginx-json.parser';
export { FORM_LOGIN_PATHS_FAILING_WITH_200, LOGIN_PATHS, isLoginPath } from '../http/http-access';
