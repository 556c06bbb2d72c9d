import { join } from 'node:path';
import { describe } from 'node:test';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { haproxyParser } from './haproxy.parser';

describe('haproxy parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [acceptingEnvelopes(haproxyParser)]);
});
